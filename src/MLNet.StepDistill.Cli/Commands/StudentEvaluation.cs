using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Evaluating a trained or loaded student on annotated rows, and finding it inside a pipeline.</summary>
internal static class StudentEvaluation
{
    /// <summary>Accuracy of a loaded or trained model on annotated rows, with the family's comparison.</summary>
    public static EvaluationSummary Evaluate(MLContext ml, ITransformer model, Seq2SeqStudentTransformer student, TaskDataset dataset, IReadOnlyList<AnnotatedRow> rows)
    {
        var data = AnnotatedSplit.ToDataView(ml, rows);
        if (student.IsOpenTarget)
        {
            var generated = ml.StepDistill().EvaluateGeneratedText(model.Transform(data), compareAsEquations: dataset.Manifest.Family == TaskFamily.Math);
            return new EvaluationSummary(rows.Count, generated.Accuracy, generated.ExactMatchAccuracy, generated.EquationAccuracy, null, null);
        }

        var keyed = student.IsMultipleChoice
            ? ml.StepDistill().MapChoiceLabelToKey(student.ClassNames.Count, "LabelKey", nameof(AnnotatedRow.Label), nameof(AnnotatedRow.Choices)).Fit(data).Transform(data)
            : ml.StepDistill().MapLabelToKey(student.ClassNames.ToArray(), "LabelKey", nameof(AnnotatedRow.Label)).Fit(data).Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keyed), labelColumnName: "LabelKey");
        return new EvaluationSummary(rows.Count, metrics.MicroAccuracy, null, null, metrics.MacroAccuracy, metrics.LogLoss);
    }

    /// <summary>The student inside a pipeline (the last one).</summary>
    public static Seq2SeqStudentTransformer FindStudent(ITransformer model) => model switch
    {
        Seq2SeqStudentTransformer student => student,
        IEnumerable<ITransformer> chain => chain.Reverse().Select(t => t is Seq2SeqStudentTransformer or IEnumerable<ITransformer> ? FindStudent(t) : null).First(s => s is not null)!,
        _ => throw new UserFacingException("the model holds no MLNet.StepDistill student"),
    };
}

/// <summary>What evaluate and distill print.</summary>
internal sealed record EvaluationSummary(int Rows, double Accuracy, double? ExactMatch, double? EquationAccuracy, double? MacroAccuracy, double? LogLoss);
