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
