using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MLNet.StepDistill.Experiments;

/// <summary>An experiment's results as a text table (like Model Builder's experiment summary) or as JSON.</summary>
public static class ResultTable
{
    /// <summary>The table's column headers, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["mode", "label source", "steps", "train rows", "test rows", "accuracy", "macro accuracy", "log-loss", "seconds"];

    /// <summary>The results as an aligned text table, one line per result under a header and a rule.</summary>
    public static string Format(IReadOnlyList<ExperimentResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var cells = results.Select(Cells).ToList();
        var widths = Columns.Select((c, i) => Math.Max(c.Length, cells.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> row) =>
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i < 2 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd());
        Line(Columns);
        Line(widths.Select(w => new string('-', w)).ToArray());
        cells.ForEach(Line);
        return text.ToString();
    }

    /// <summary>The report as JSON: dataset, splits and row counts, and a <c>results</c> array with one object per table row.</summary>
    public static string ToJson(ExperimentReport report, string? modelPath = null, double? totalSeconds = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var results = new JsonArray(report.Results.Select(r => (JsonNode)new JsonObject
        {
            ["mode"] = r.Model,
            ["labelSource"] = r.LabelSource,
            ["steps"] = r.Steps,
            ["trainRows"] = r.TrainRows,
            ["testRows"] = r.TestRows,
            ["accuracy"] = Finite(r.Accuracy),
            ["macroAccuracy"] = Finite(r.MacroAccuracy),
            ["logLoss"] = Finite(r.LogLoss),
            ["firstLoss"] = Finite(r.FirstLoss),
            ["finalLoss"] = Finite(r.FinalLoss),
            ["seconds"] = r.Seconds,
        }).ToArray());
        var json = new JsonObject
        {
            ["dataset"] = report.Dataset,
            ["trainSplit"] = report.TrainSplit,
            ["poolRows"] = report.PoolRows,
            ["testSplit"] = report.TestSplit,
            ["testSplitRows"] = report.TestSplitRows,
            ["results"] = results,
            ["best"] = report.Best?.Model,
            ["model"] = modelPath,
            ["seconds"] = totalSeconds,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static string[] Cells(ExperimentResult r) =>
    [
        r.Model, r.LabelSource, Integer(r.Steps), Integer(r.TrainRows), Integer(r.TestRows),
        Fraction(r.Accuracy), Fraction(r.MacroAccuracy), Fraction(r.LogLoss), r.Seconds.ToString("F0", CultureInfo.InvariantCulture),
    ];

    /// <summary>JSON has no NaN or infinity: a diverged loss is written as null.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Fraction(double? value) => value is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "-";
}
