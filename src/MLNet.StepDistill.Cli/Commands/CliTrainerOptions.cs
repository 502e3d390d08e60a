using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Trainer options from CLI words: the mode and the label source.</summary>
internal static class CliTrainerOptions
{
    /// <summary>A training mode as the CLI spells it; <paramref name="flag"/> names the option in the error.</summary>
    public static TrainingMode ParseMode(string value, string flag = "--mode") => value.ToLowerInvariant() switch
    {
        "standard" => TrainingMode.Standard,
        "step-by-step" => TrainingMode.StepByStep,
        "single-task" => TrainingMode.SingleTask,
        _ => throw new UserFacingException($"{flag}: \"{value}\" is not one of standard, step-by-step, single-task"),
    };

    /// <summary>The CLI's name of a mode (what --mode takes).</summary>
    public static string ModeName(TrainingMode mode) => mode switch
    {
        TrainingMode.Standard => "standard",
        TrainingMode.SingleTask => "single-task",
        _ => "step-by-step",
    };

    public static LabelSource ParseLabels(string value) => value.ToLowerInvariant() switch
    {
        "gold" => LabelSource.Gold,
        "teacher" => LabelSource.Teacher,
        _ => throw new UserFacingException($"--labels \"{value}\" is not one of gold, teacher"),
    };
}
