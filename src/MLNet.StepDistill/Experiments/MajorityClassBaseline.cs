using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// The floor a student must beat: always answer the class most frequent among the training labels. Its log-loss is that
/// of the training label prior (add-one smoothed); for open targets (math) it answers the most frequent target text.
/// </summary>
internal static class MajorityClassBaseline
{
    public static BaselineScore Evaluate(MLContext ml, TaskFamily family, string[]? labels, IReadOnlyList<AnnotatedRow> train,
        IReadOnlyList<AnnotatedRow> test, bool goldLabels)
    {
        var trainLabels = train.Select(r => TrainingLabel(r, goldLabels)).Where(l => l.Length > 0).ToArray();
        if (family.HasChoices || labels is { Length: > 0 })
        {
            string? ClassOf(AnnotatedRow row, string label) => family.HasChoices
                ? Array.IndexOf(row.Choices, label) is var i and >= 0 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : null
                : labels!.Contains(label) ? label : null;
            var classCount = family.HasChoices ? Math.Max(1, train.Concat(test).Max(r => r.Choices.Length)) : labels!.Length;
            var trainClasses = train.Select(r => ClassOf(r, TrainingLabel(r, goldLabels))).OfType<string>().ToArray();
            var counts = trainClasses.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
            var majority = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault();
            var testClasses = test.Select(r => ClassOf(r, r.Label)).OfType<string>().ToArray();
            var accuracy = testClasses.Length == 0 ? 0 : testClasses.Count(c => c == majority) / (double)testClasses.Length;
            var present = testClasses.Distinct().ToArray();
            var macro = present.Length == 0 ? 0 : present.Contains(majority) ? 1.0 / present.Length : 0;
            double Prior(string c) => (counts.GetValueOrDefault(c) + 1.0) / (trainClasses.Length + classCount);
            var logLoss = testClasses.Length == 0 ? 0 : testClasses.Average(c => -Math.Log(Prior(c)));
            return new BaselineScore(train.Count, test.Count, accuracy, macro, logLoss);
        }

        var mostFrequent = trainLabels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault() ?? "";
        var answered = ml.Data.LoadFromEnumerable(test.Select(r => new AnsweredRow { Label = r.Label, PredictedText = mostFrequent }));
        var metrics = ml.StepDistill().EvaluateGeneratedText(answered, compareAsEquations: family.AnswerKind == TaskAnswerKind.Equation);
        return new BaselineScore(train.Count, test.Count, metrics.Accuracy, null, null);
    }

    private static string TrainingLabel(AnnotatedRow row, bool goldLabels) =>
        (goldLabels ? row.Label : row.UsableTeacherLabel).Trim();

    private sealed class AnsweredRow
    {
        public string Label { get; set; } = "";

        public string PredictedText { get; set; } = "";
    }
}
