using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Every `stepdistill` sub-command, in one place.</summary>
internal static class CommandRegistry
{
    public static void Register(IConfigurator config)
    {
        config.AddCommand<DoctorCommand>("doctor")
            .WithDescription("Checks that TorchSharp's native libtorch loads on this machine.");
        config.AddCommand<AnnotateCommand>("annotate")
            .WithDescription("Parses a teacher's completions for a dataset split: rationale, label, parse failures, teacher accuracy.")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "test", "--teacher", "recorded", "--json");
    }
}
