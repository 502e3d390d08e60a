using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>What a <see cref="StudentSweep"/> maximises on the validation rows: accuracy, macro accuracy, or your own function.</summary>
public sealed class SweepMetric
{
    private readonly Func<MLContext, Seq2SeqStudentTransformer, TaskFamily, IReadOnlyList<AnnotatedRow>, double> compute;

    private SweepMetric(string name, Func<MLContext, Seq2SeqStudentTransformer, TaskFamily, IReadOnlyList<AnnotatedRow>, double> compute)
    {
        Name = name;
        this.compute = compute;
    }

    /// <summary>The metric's name, shown in the leaderboard.</summary>
    public string Name { get; }

    /// <summary>Share of validation rows answered right (equation accuracy for math): ML.NET's micro accuracy.</summary>
    public static SweepMetric Accuracy { get; } = new("accuracy", (ml, student, family, rows) => StudentScores.Evaluate(ml, student, family, rows).Accuracy);

    /// <summary>Mean per-class accuracy (classification and multiple-choice); accuracy for open targets.</summary>
    public static SweepMetric MacroAccuracy { get; } = new("macro accuracy", (ml, student, family, rows) =>
        StudentScores.Evaluate(ml, student, family, rows) is var s ? s.MacroAccuracy ?? s.Accuracy : 0);

    /// <summary>Your own metric, larger is better: it gets the trained student and the validation rows.</summary>
    public static SweepMetric Custom(string name, Func<Seq2SeqStudentTransformer, IReadOnlyList<AnnotatedRow>, double> metric)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(metric);
        return new SweepMetric(name, (_, student, _, rows) => metric(student, rows));
    }

    internal double Compute(MLContext ml, Seq2SeqStudentTransformer student, TaskFamily family, IReadOnlyList<AnnotatedRow> rows) => compute(ml, student, family, rows);
}
