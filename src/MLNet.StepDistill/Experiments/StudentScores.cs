using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>A trained student's test scores with the comparison its task family calls for.</summary>
internal sealed record StudentScores(double Accuracy, double? MacroAccuracy, double? LogLoss)
{
    /// <summary>
    /// Classification and multiple-choice: ML.NET's multiclass evaluator on the student's per-class scores against the
    /// gold label as a key. Open targets: exact match of the generated text, or equation accuracy for math.
    /// </summary>
    public static StudentScores Evaluate(MLContext ml, Seq2SeqStudentTransformer student, TaskFamily family, IReadOnlyList<AnnotatedRow> rows)
    {
        var data = AnnotatedSplit.ToDataView(ml, rows);
        if (student.IsOpenTarget)
        {
            var generated = ml.StepDistill().EvaluateGeneratedText(student.Transform(data), nameof(AnnotatedRow.Label), compareAsEquations: family.AnswerKind == TaskAnswerKind.Equation);
            return new StudentScores(generated.Accuracy, null, null);
        }

        const string key = "LabelKey";
        var keyed = student.IsMultipleChoice
            ? ml.StepDistill().MapChoiceLabelToKey(student.ClassNames.Count, key, nameof(AnnotatedRow.Label), nameof(AnnotatedRow.Choices)).Fit(data).Transform(data)
            : ml.StepDistill().MapLabelToKey(student.ClassNames.ToArray(), key, nameof(AnnotatedRow.Label)).Fit(data).Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(student.Transform(keyed), labelColumnName: key);
        return new StudentScores(metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss);
    }
}
