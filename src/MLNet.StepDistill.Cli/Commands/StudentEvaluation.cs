using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Evaluating a trained or loaded student on annotated rows, and finding it inside a pipeline.</summary>
internal static class StudentEvaluation
{
    /// <summary>Accuracy of a student served by either runtime (a TorchSharp zip or an exported ONNX folder) on annotated rows (their input already formatted), with the family's comparison.</summary>
    public static EvaluationSummary Evaluate(MLContext ml, IStudentTransformer student, TaskDataset dataset, IReadOnlyList<AnnotatedRow> rows)
    {
        var model = student;
        var data = AnnotatedSplit.ToDataView(ml, rows);
        if (student.IsOpenTarget)
        {
            var generated = ml.StepDistill().EvaluateGeneratedText(model.Transform(data), compareAsEquations: dataset.Manifest.Family.AnswerKind == TaskAnswerKind.Equation);
            if (generated.Count == 0)
            {
                throw NothingScored(dataset, rows.Count, "every row's gold text is empty");
            }

            return new EvaluationSummary(rows.Count, generated.Count, generated.Accuracy, generated.ExactMatchAccuracy, generated.EquationAccuracy, null, null);
        }

        var keyed = student.IsMultipleChoice
            ? ml.StepDistill().MapChoiceLabelToKey(student.ClassNames.Count, "LabelKey", nameof(AnnotatedRow.Label), nameof(AnnotatedRow.Choices)).Fit(data).Transform(data)
            : ml.StepDistill().MapLabelToKey(student.ClassNames.ToArray(), "LabelKey", nameof(AnnotatedRow.Label)).Fit(data).Transform(data);
        // ML.NET's evaluator skips rows whose label key is missing (a gold label outside the model's classes, or an answer
        // that is not among the row's choices): count the rows it will score, and refuse to report metrics of none.
        var scoredRows = keyed.GetColumn<uint>("LabelKey").Count(key => key != 0);
        if (scoredRows == 0)
        {
            var what = student.IsMultipleChoice
                ? $"no row's gold answer is among its choices (the model chooses among {student.ClassNames.Count} choices: {string.Join(", ", student.ClassNames)})"
                : $"no row's gold label is one of the model's classes ({string.Join(", ", student.ClassNames)})";
            throw NothingScored(dataset, rows.Count, what);
        }

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keyed), labelColumnName: "LabelKey");
        return new EvaluationSummary(rows.Count, scoredRows, metrics.MicroAccuracy, null, null, metrics.MacroAccuracy, metrics.LogLoss)
        {
            Classes = PerClass(student.ClassNames, metrics.ConfusionMatrix),
        };
    }

    /// <summary>
    /// Each class's scored rows, precision and recall from ML.NET's confusion matrix (rows: gold class, columns:
    /// predicted), in the model's class order: the order of its Score slots and PredictedLabel keys.
    /// </summary>
    internal static IReadOnlyList<ClassFigures> PerClass(IReadOnlyList<string> classNames, ConfusionMatrix matrix)
    {
        static double? Finite(double value) => double.IsFinite(value) ? value : null;
        return classNames.Select((name, i) => new ClassFigures(
            name,
            i < matrix.Counts.Count ? (int)matrix.Counts[i].Sum() : 0,
            i < matrix.Counts.Count ? (int)matrix.Counts.Sum(gold => gold[i]) : 0,
            i < matrix.PerClassPrecision.Count ? Finite(matrix.PerClassPrecision[i]) : null,
            i < matrix.PerClassRecall.Count ? Finite(matrix.PerClassRecall[i]) : null)).ToArray();
    }

    private static UserFacingException NothingScored(TaskDataset dataset, int rowCount, string why)
    {
        var source = dataset.Manifest.SourcePath is { } path ? $" ({path})" : "";
        return new UserFacingException($"evaluate: none of the {rowCount} rows of dataset {dataset.Manifest.Name}{source} can be scored: {why}");
    }
}

/// <summary>What evaluate prints: <paramref name="ScoredRows"/> of <paramref name="Rows"/> had a gold label the metrics could use.</summary>
internal sealed record EvaluationSummary(int Rows, int ScoredRows, double Accuracy, double? ExactMatch, double? EquationAccuracy, double? MacroAccuracy, double? LogLoss)
{
    /// <summary>Per class, in the model's class order (closed label sets and choice positions); empty for generated answers.</summary>
    public IReadOnlyList<ClassFigures> Classes { get; init; } = [];
}

/// <summary>One class's figures over the scored rows: <paramref name="Rows"/> with this gold class, <paramref name="Predicted"/> rows predicted as it, precision and recall (null where undefined).</summary>
internal sealed record ClassFigures(string Name, int Rows, int Predicted, double? Precision, double? Recall);
