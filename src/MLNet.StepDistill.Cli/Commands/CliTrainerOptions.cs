using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Trainer options from CLI words: the answer kind per task family, the mode and the label source.</summary>
internal static class CliTrainerOptions
{
    /// <summary>Options whose answer kind fits the dataset's family: choices for multiple-choice, the label set for NLI and classification, open text for math.</summary>
    public static MultiTaskSeq2SeqTrainer.Options OptionsFor(TaskDataset dataset)
    {
        var family = dataset.Manifest.Family;
        return new MultiTaskSeq2SeqTrainer.Options
        {
            ChoicesColumnName = family.HasChoices ? nameof(AnnotatedRow.Choices) : null,
            Labels = family.ClosedLabels(dataset.Schema)?.ToArray(),
        };
    }

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
