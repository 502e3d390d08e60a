using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>The students the paper compares; each is one training mode with one label source.</summary>
public enum ExperimentMethod
{
    /// <summary>Standard fine-tuning: the label task alone, on the gold labels (CLI <c>fine-tuning</c>).</summary>
    FineTuning,

    /// <summary>Standard task distillation: the label task alone, on the teacher's labels (CLI <c>distillation</c>).</summary>
    TaskDistillation,

    /// <summary>Distilling step-by-step with the gold labels and the teacher's rationales (CLI <c>step-by-step-gold</c>).</summary>
    StepByStepGold,

    /// <summary>Distilling step-by-step with the teacher's labels and rationales (CLI <c>step-by-step-teacher</c>).</summary>
    StepByStepTeacher,

    /// <summary>One output "rationale So the answer is label" on the teacher's annotations (CLI <c>single-task</c>).</summary>
    SingleTask,

    /// <summary>
    /// Distilling step-by-step with the gold labels and rationales the teacher wrote to explain them (annotate
    /// <c>--rationales explain-gold</c>, <see cref="StepByStepExperimentOptions.ExplainedRowsPath"/>; CLI
    /// <c>step-by-step-explained</c>): beyond the paper, every rationale argues for the label it trains with.
    /// </summary>
    StepByStepExplained,
}

/// <summary>Names, modes and label sources of the <see cref="ExperimentMethod"/> values.</summary>
public static class ExperimentMethods
{
    /// <summary>The four methods of the paper's comparison, in the order they are run and tabulated.</summary>
    public static IReadOnlyList<ExperimentMethod> Paper { get; } =
        [ExperimentMethod.FineTuning, ExperimentMethod.TaskDistillation, ExperimentMethod.StepByStepGold, ExperimentMethod.StepByStepTeacher];

    /// <summary>The CLI's and the tables' name: fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task, step-by-step-explained.</summary>
    public static string Name(ExperimentMethod method) => method switch
    {
        ExperimentMethod.FineTuning => "fine-tuning",
        ExperimentMethod.TaskDistillation => "distillation",
        ExperimentMethod.StepByStepGold => "step-by-step-gold",
        ExperimentMethod.StepByStepTeacher => "step-by-step-teacher",
        ExperimentMethod.SingleTask => "single-task",
        ExperimentMethod.StepByStepExplained => "step-by-step-explained",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>The method a name (as <see cref="Name"/> writes it, case-insensitive) stands for.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static ExperimentMethod Parse(string name)
    {
        foreach (var method in Enum.GetValues<ExperimentMethod>())
        {
            if (string.Equals(Name(method), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return method;
            }
        }

        throw new ArgumentException($"\"{name}\" is not a method; known: {string.Join(", ", Enum.GetValues<ExperimentMethod>().Select(Name))}.", nameof(name));
    }

    /// <summary>The trainer's mode of a method.</summary>
    public static TrainingMode Mode(ExperimentMethod method) => method switch
    {
        ExperimentMethod.FineTuning or ExperimentMethod.TaskDistillation => TrainingMode.Standard,
        ExperimentMethod.SingleTask => TrainingMode.SingleTask,
        _ => TrainingMode.StepByStep,
    };

    /// <summary>Where a method's label task takes its labels from.</summary>
    public static LabelSource Labels(ExperimentMethod method) =>
        method is ExperimentMethod.FineTuning or ExperimentMethod.StepByStepGold or ExperimentMethod.StepByStepExplained ? LabelSource.Gold : LabelSource.Teacher;
}
