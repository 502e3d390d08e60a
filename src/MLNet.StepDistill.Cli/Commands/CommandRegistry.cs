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
            .WithDescription("Annotates a dataset split with a teacher (recorded completions or any OpenAI-compatible chat model): rationale, label, status, teacher accuracy.")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "test", "--teacher", "recorded", "--json")
            .WithExample("annotate", "--dataset", "datasets/cqa", "--split", "train", "--teacher", "openai", "--endpoint", "http://localhost:11434/v1", "--model", "llama3.1", "--api-key-env", "OLLAMA_API_KEY");
    }
}
