using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Notebooks.Tests;

public class NotebookTests
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(NotebooksFolder(), "*.ipynb").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Notebook_runs_every_cell_without_error(string notebook)
    {
        // Polyglot runs a notebook with its own folder as the working directory; so do we.
        Directory.SetCurrentDirectory(NotebooksFolder());
        var outputs = await NotebookRunner.RunAsync(Path.Combine(NotebooksFolder(), notebook), typeof(TaskDataset).Assembly);
        Assert.NotEmpty(outputs);
    }

    private static string NotebooksFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MLNet.StepDistill.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("MLNet.StepDistill.sln not found above the test output"), "notebooks");
    }
}
