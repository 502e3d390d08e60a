using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// How a student is trained: the students the paper compares (and this project's step-by-step-explained). A method is
/// what the student outputs (<see cref="TrainingMode"/>) and where its label task's labels come from; users name it the
/// same way everywhere (<c>train --method</c>, <c>experiment --methods</c>, results.json, the tables) by
/// <see cref="TrainingMethods.Name"/>.
/// </summary>
public enum TrainingMethod
{
    /// <summary>Standard fine-tuning: the label task alone, on the gold labels (<c>fine-tuning</c>).</summary>
    FineTuning,

    /// <summary>Standard task distillation: the label task alone, on the teacher's labels (<c>distillation</c>).</summary>
    Distillation,

    /// <summary>Distilling step-by-step with the gold labels and the teacher's rationales (<c>step-by-step-gold</c>).</summary>
    StepByStepGold,

    /// <summary>Distilling step-by-step with the teacher's labels and rationales (<c>step-by-step-teacher</c>).</summary>
    StepByStepTeacher,

    /// <summary>The paper's single-task ablation: one output "rationale So the answer is label" on the teacher's annotations (<c>single-task</c>).</summary>
    SingleTask,

    /// <summary>
    /// Distilling step-by-step with the gold labels and rationales the teacher wrote to explain them (<c>step-by-step-explained</c>;
    /// beyond the paper, every rationale argues for the label it trains with). It trains as <see cref="StepByStepGold"/>
    /// does; what differs is the data: the rationale column must hold the rationales of <c>annotate --rationales explain-gold</c>
    /// (<c>Teaching.RationaleMode.ExplainGold</c>), which <c>train --method step-by-step-explained --annotated FILE</c> and
    /// the experiment's <c>ExplainedRowsPath</c> check.
    /// </summary>
    StepByStepExplained,
}

/// <summary>Names, output shapes and label sources of the <see cref="TrainingMethod"/> values, in one place.</summary>
public static class TrainingMethods
{
    /// <summary>The four methods of the paper's comparison, in the order they are run and tabulated.</summary>
    public static IReadOnlyList<TrainingMethod> Paper { get; } =
        [TrainingMethod.FineTuning, TrainingMethod.Distillation, TrainingMethod.StepByStepGold, TrainingMethod.StepByStepTeacher];

    /// <summary>The name users see (CLI, results.json, tables, saved runs): fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task, step-by-step-explained.</summary>
    public static string Name(TrainingMethod method) => method switch
    {
        TrainingMethod.FineTuning => "fine-tuning",
        TrainingMethod.Distillation => "distillation",
        TrainingMethod.StepByStepGold => "step-by-step-gold",
        TrainingMethod.StepByStepTeacher => "step-by-step-teacher",
        TrainingMethod.SingleTask => "single-task",
        TrainingMethod.StepByStepExplained => "step-by-step-explained",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, null),
    };

    /// <summary>Every method's name, comma-separated, in enum order (for help texts and errors).</summary>
    public static string AllNames => string.Join(", ", Enum.GetValues<TrainingMethod>().Select(Name));

    /// <summary>The method a name (as <see cref="Name"/> writes it, case-insensitive) stands for.</summary>
    /// <exception cref="ArgumentException">An unknown name; the message lists the known ones.</exception>
    public static TrainingMethod Parse(string name) =>
        TryParse(name, out var method) ? method : throw new ArgumentException($"\"{name}\" is not a method; known: {AllNames}.", nameof(name));

    /// <summary>The method a name (as <see cref="Name"/> writes it, case-insensitive) stands for, if any.</summary>
    public static bool TryParse(string? name, out TrainingMethod method)
    {
        foreach (var candidate in Enum.GetValues<TrainingMethod>())
        {
            if (string.Equals(Name(candidate), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                method = candidate;
                return true;
            }
        }

        method = default;
        return false;
    }

    /// <summary>What a student trained by <paramref name="method"/> outputs (saved with it as <c>Deployment.StudentAnswerSpec.Mode</c>).</summary>
    public static TrainingMode Mode(TrainingMethod method) => method switch
    {
        TrainingMethod.FineTuning or TrainingMethod.Distillation => TrainingMode.Standard,
        TrainingMethod.SingleTask => TrainingMode.SingleTask,
        _ => TrainingMode.StepByStep,
    };

    /// <summary>Whether the method's label task learns the gold labels (else the teacher's).</summary>
    public static bool LearnsGoldLabels(TrainingMethod method) =>
        method is TrainingMethod.FineTuning or TrainingMethod.StepByStepGold or TrainingMethod.StepByStepExplained;

    /// <summary>The name of the labels the method's label task learns: <c>"gold"</c> or <c>"teacher"</c> (results.json's <c>labelSource</c>).</summary>
    public static string LabelSourceName(TrainingMethod method) => LearnsGoldLabels(method) ? "gold" : "teacher";
}
