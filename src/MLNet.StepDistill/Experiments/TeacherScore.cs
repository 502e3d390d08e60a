using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>The teacher's own accuracy on the experiment's test rows: its parsed label against the gold label (a parse failure counts as wrong).</summary>
/// <param name="Name">The recorded teacher's name, or null when the test split has no recorded teacher.</param>
/// <param name="TestRows">Test rows compared.</param>
/// <param name="Accuracy">Share of the rows the teacher answered right (equation value for math), or null without a teacher.</param>
/// <param name="Interval">Its 95% Wilson interval.</param>
public sealed record TeacherScore(string? Name, int TestRows, double? Accuracy, ConfidenceInterval Interval)
{
    internal static TeacherScore OnTest(MLContext ml, TaskDataset dataset, string testSplit, IReadOnlyList<AnnotatedRow> test)
    {
        // AnnotatedSplit.Read annotates a split with the first teacher recorded for it.
        var name = dataset.Manifest.Teachers.Keys.FirstOrDefault(t => dataset.Manifest.Teachers[t].ContainsKey(testSplit));
        if (name is null || test.Count == 0)
        {
            return new TeacherScore(null, test.Count, null, new ConfidenceInterval(0, 1));
        }

        var answered = ml.Data.LoadFromEnumerable(test.Select(r => new Answered
        {
            Label = r.Label,
            PredictedText = r.UsableTeacherLabel,
        }));
        var metrics = ml.StepDistill().EvaluateGeneratedText(answered, compareAsEquations: dataset.Manifest.Family.AnswerKind == TaskAnswerKind.Equation);
        var correct = (int)Math.Round(metrics.Accuracy * test.Count);
        return new TeacherScore(name, test.Count, metrics.Accuracy, ConfidenceInterval.Wilson(correct, test.Count));
    }

    private sealed class Answered
    {
        public string Label { get; set; } = "";

        public string PredictedText { get; set; } = "";
    }
}
