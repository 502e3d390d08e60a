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
            .WithDescription("Annotates a dataset split with a teacher (recorded completions or an OpenAI-compatible server, cached): rationale, label, statuses, calls, teacher accuracy.")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "test", "--teacher", "recorded", "--json")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "train", "--teacher", "openai", "--endpoint", "https://api.openai.com/v1", "--model", "gpt-4o-mini", "--api-key-env", "OPENAI_API_KEY", "--cache", ".teacher-cache", "--concurrency", "16", "--out", "cqa-train.jsonl");
    }
}
