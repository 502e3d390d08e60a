using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// Turns the library's option errors (which name the option, as <c>ParamName</c> or as a message starting
/// <c>XOptions.Name</c>) into user-facing errors that name the CLI flag.
/// </summary>
internal static partial class CliOptionErrors
{
    private static readonly Dictionary<string, string> FlagOf = new(StringComparer.Ordinal)
    {
        ["Alpha"] = "--alpha",
        ["LearningRate"] = "--lr",
        ["BatchSize"] = "--batch-size",
        ["MaxSteps"] = "--steps",
        ["Steps"] = "--steps",
        ["WarmupSteps"] = "--warmup",
        ["MaxInputLength"] = "--max-input",
        ["MaxTargetLength"] = "--max-target",
        ["TrainRows"] = "--rows",
        ["TrainFraction"] = "--fraction",
        ["TestRows"] = "--test-rows",
        ["Modes"] = "--modes",
        ["DatasetFolder"] = "--dataset",
        ["Student"] = "--student",
        ["TokenizerPath"] = "--tokenizer",
        ["Device"] = "--device",
        ["CheckpointFolder"] = "--checkpoint-dir",
        ["CheckpointEveryNSteps"] = "--checkpoint-every",
        ["Resume"] = "--resume",
        ["Epochs"] = "--epochs",
        ["EvaluateEveryNSteps"] = "--eval-every",
        ["NumberOfThreads"] = "--threads",
        ["Methods"] = "--methods",
        ["Fractions"] = "--fractions",
        ["Seeds"] = "--seeds",
        ["ValidationRows"] = "--validation-rows",
        ["TeacherPricePerMillionInputTokens"] = "--teacher-price-in",
        ["TeacherPricePerMillionOutputTokens"] = "--teacher-price-out",
        ["AnnotatedRowsPath"] = "--annotated",
        ["ExplainedRowsPath"] = "--explained",
        ["Parallel"] = "--parallel",
    };

    /// <summary>The error for <paramref name="command"/>, prefixed by the flag when the library named an option the CLI sets.</summary>
    public static UserFacingException For(string command, Exception error)
    {
        var option = error is ArgumentException { ParamName: { } name } ? name
            : OptionInMessage().Match(error.Message) is { Success: true } match ? match.Groups[1].Value
            : null;
        if (error is InvalidDataException)
        {
            // results.json refused for other settings: name each differing setting by its flag ("--steps (results.json 2, this run 3)").
            var message = FlagOf.Aggregate(error.Message, (text, pair) => text.Replace($" {pair.Key} (results.json ", $" {pair.Value} (results.json ", StringComparison.Ordinal));
            return new UserFacingException($"{command}: {message}", error);
        }

        return option is not null && FlagOf.TryGetValue(option, out var flag)
            ? new UserFacingException($"{command}: {flag}: {error.Message}", error)
            : new UserFacingException($"{command}: {error.Message}", error);
    }

    /// <summary>The option a message starts with: <c>Alpha</c> in "MultiTaskSeq2SeqTrainerOptions.Alpha must be in [0, 1]".</summary>
    [GeneratedRegex(@"^\w*Options\.(\w+)")]
    private static partial Regex OptionInMessage();
}
