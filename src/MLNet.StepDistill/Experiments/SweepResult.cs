using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>What a <see cref="StudentSweep"/> found: the leaderboard (best first) and the best trial's fitted student (dispose the result to free it).</summary>
public sealed class SweepResult : IDisposable
{
    internal SweepResult(string dataset, string metric, SweepTuner tuner, int trainRows, int validationRows, int testRows, IReadOnlyList<SweepTrial> leaderboard,
        SweepTrial bestTrial, Seq2SeqStudentTransformer bestModel, DataViewSchema inputSchema, double seconds, double budgetSeconds, bool cancelled,
        int parallel, long peakMemoryBytes)
    {
        Dataset = dataset;
        Metric = metric;
        Tuner = tuner;
        TrainRows = trainRows;
        ValidationRows = validationRows;
        TestRows = testRows;
        Leaderboard = leaderboard;
        BestTrial = bestTrial;
        BestModel = bestModel;
        InputSchema = inputSchema;
        Seconds = seconds;
        BudgetSeconds = budgetSeconds;
        Cancelled = cancelled;
        Parallel = parallel;
        PeakMemoryBytes = peakMemoryBytes;
    }

    /// <summary>How many trials trained side by side (<see cref="StudentSweepOptions.Parallel"/>).</summary>
    public int Parallel { get; }

    /// <summary>The process's peak resident memory (VmHWM of /proc/self/status; 0 where there is none) when the sweep ended: the peak of its trials side by side.</summary>
    public long PeakMemoryBytes { get; }

    /// <summary>The dataset's name.</summary>
    public string Dataset { get; }

    /// <summary>The name of the metric maximised.</summary>
    public string Metric { get; }

    /// <summary>Rows trained on.</summary>
    public int TrainRows { get; }

    /// <summary>Rows validated on.</summary>
    public int ValidationRows { get; }

    /// <summary>Test rows (0 when none were given).</summary>
    public int TestRows { get; }

    /// <summary>Every trial, best validation metric first (stopped trials last).</summary>
    public IReadOnlyList<SweepTrial> Leaderboard { get; }

    /// <summary>The trial with the best validation metric (the earliest on ties).</summary>
    public SweepTrial BestTrial { get; }

    /// <summary>The best trial's fitted student.</summary>
    public Seq2SeqStudentTransformer BestModel { get; }

    /// <summary>The input schema, for <c>mlContext.StepDistill().SaveModel(BestModel, InputSchema, path)</c>.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>Wall time of the sweep.</summary>
    public double Seconds { get; }

    /// <summary>The time budget.</summary>
    public double BudgetSeconds { get; }

    /// <summary>Whether the caller cancelled the sweep before its budget ran out.</summary>
    public bool Cancelled { get; }

    /// <summary>How the trials' settings were chosen.</summary>
    public SweepTuner Tuner { get; }

    /// <summary>The leaderboard as JSON (dataset, metric, tuner, rows, budget, trials, best).</summary>
    public string ToJson(string? modelPath = null)
    {
        JsonObject Trial(SweepTrial t) => new()
        {
            ["trial"] = t.Number,
            ["status"] = t.Status,
            ["method"] = TrainingMethods.Name(t.Settings.Method),
            ["student"] = t.Settings.Student,
            ["alpha"] = t.Settings.Alpha,
            ["learningRate"] = t.Settings.LearningRate,
            ["steps"] = t.Settings.Steps,
            ["batchSize"] = t.Settings.BatchSize,
            ["maxInputLength"] = t.Settings.MaxInputLength,
            ["maxTargetLength"] = t.Settings.MaxTargetLength,
            ["validationMetric"] = t.ValidationMetric,
            ["testAccuracy"] = t.TestAccuracy,
            ["finalLoss"] = t.FinalLoss,
            ["seconds"] = t.Seconds,
        };
        var json = new JsonObject
        {
            ["dataset"] = Dataset,
            ["metric"] = Metric,
            ["tuner"] = Tuner.ToString(),
            ["trainRows"] = TrainRows,
            ["validationRows"] = ValidationRows,
            ["testRows"] = TestRows,
            ["budgetSeconds"] = BudgetSeconds,
            ["seconds"] = Seconds,
            ["cancelled"] = Cancelled,
            ["parallel"] = Parallel,
            ["peakMemoryBytes"] = PeakMemoryBytes,
            ["trials"] = new JsonArray(Leaderboard.Select(t => (JsonNode)Trial(t)).ToArray()),
            ["best"] = Trial(BestTrial),
            ["model"] = modelPath,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The leaderboard as a Markdown table, best first.</summary>
    public string ToMarkdown()
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Sweep on {Dataset}");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{Leaderboard.Count} trials ({Tuner}) in {Seconds:F0} s (budget {BudgetSeconds:F0} s){(Cancelled ? ", cancelled" : "")}; {TrainRows} training rows, validation {Metric} on {ValidationRows} rows") +
            (TestRows > 0 ? string.Create(CultureInfo.InvariantCulture, $", test accuracy on {TestRows} rows (reported, not used to choose).") : "."));
        text.AppendLine();
        text.AppendLine($"| rank | trial | method | student | alpha | learning rate | steps | batch | max input | max target | validation {Metric} | test accuracy | seconds | status |");
        text.AppendLine("| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        var rank = 0;
        foreach (var t in Leaderboard)
        {
            var s = t.Settings;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {++rank} | {t.Number} | {TrainingMethods.Name(s.Method)} | {s.Student} | {s.Alpha:0.00} | {s.LearningRate:0.0e0} | {s.Steps} | {s.BatchSize} | {s.MaxInputLength} | {s.MaxTargetLength} | {F(t.ValidationMetric, "F3")} | {F(t.TestAccuracy, "F3")} | {t.Seconds:F0} | {t.Status} |");
        }

        return text.ToString();
    }

    /// <inheritdoc/>
    public void Dispose() => BestModel.Dispose();
}
