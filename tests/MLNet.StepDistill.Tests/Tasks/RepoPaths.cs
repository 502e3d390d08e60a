namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>Paths inside the repository the tests run from (found by walking up to the solution file).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Dataset(string name) => Path.Combine(Root, "datasets", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.StepDistill.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MLNet.StepDistill.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A scratch folder deleted at dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stepdistill-tests-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
