using System.Diagnostics;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>Runs `stepdistill` as its own process, the way a user does.</summary>
internal static class CliProcess
{
    public static Process Start(string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(CliPath());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        return Process.Start(start)!;
    }

    /// <summary>
    /// The CLI as its own project builds it (bin/{configuration}/net10.0 beside the tests' own): the copy in the test
    /// folder lacks the logging assembly the tests take from the ASP.NET Core shared framework.
    /// </summary>
    private static string CliPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepoPaths.Root, "src", "MLNet.StepDistill.Cli", "bin", testBin.Parent!.Name, testBin.Name, "stepdistill.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build src/MLNet.StepDistill.Cli (dotnet test on the solution does)");
        return path;
    }
}
