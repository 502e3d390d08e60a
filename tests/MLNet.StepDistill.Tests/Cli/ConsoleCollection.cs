using System.Reflection;
using MLNet.StepDistill.Cli.Commands;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>Tests that swap the process-wide Console.Error run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Process console";

    /// <summary>Runs the `stepdistill` entry point (Program.cs) with <paramref name="args"/>: its exit code and what it wrote to stderr.</summary>
    public static (int Code, string Error) RunEntryPoint(string[] args)
    {
        var entry = typeof(CommandRegistry).Assembly.EntryPoint ?? throw new InvalidOperationException("the CLI has no entry point");
        var previous = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            var result = entry.Invoke(null, [args]);
            var code = result is Task<int> task ? task.GetAwaiter().GetResult() : (int)result!;
            return (code, error.ToString());
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
        finally
        {
            Console.SetError(previous);
        }
    }
}
