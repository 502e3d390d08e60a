using System.Globalization;
using System.Text;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// The experiment's table: one row per method and fraction (mean test accuracy over the seeds and its 95% interval), then
/// the majority-class baseline and the teacher. The CLI's terminal table and <c>report.md</c> show these same cells.
/// </summary>
public static class ExperimentTable
{
    /// <summary>The column headers, in order.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["method", "labels", "data", "train rows", "seeds", "accuracy", "95% interval", "sd", "macro accuracy", "log-loss", "s / run"];

    /// <summary>The table's cells, row by row (summary rows, then the baseline and the teacher).</summary>
    public static IReadOnlyList<string[]> Cells(ExperimentOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var rows = outcome.Summary.Select(r => new[]
        {
            r.Method, r.LabelSource, Percent(r.Fraction), Integer(r.TrainRows), Integer(r.Seeds), Fixed(r.MeanAccuracy), Interval(r.Interval),
            r.Seeds > 1 ? Fixed(r.StandardDeviation) : "-", Fixed(r.MeanMacroAccuracy), Fixed(r.MeanLogLoss), r.MeanSeconds.ToString("F0", CultureInfo.InvariantCulture),
        }).ToList();
        var b = outcome.Baseline;
        rows.Add(["majority class", "gold", "100%", Integer(b.TrainRows), "-", Fixed(b.Accuracy), Interval(outcome.BaselineInterval), "-", Fixed(b.MacroAccuracy), Fixed(b.LogLoss), "0"]);
        if (outcome.Teacher.Accuracy is { } teacher)
        {
            rows.Add([$"teacher ({outcome.Teacher.Name})", "-", "-", "-", "-", Fixed(teacher), Interval(outcome.Teacher.Interval), "-", "-", "-", "-"]);
        }

        return rows;
    }

    /// <summary>The table in Markdown (GitHub pipe table).</summary>
    public static string Markdown(ExperimentOutcome outcome)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Columns) + " |");
        text.AppendLine("|" + string.Join("|", Columns.Select((_, i) => i < 2 ? " --- " : " ---: ")) + "|");
        foreach (var row in Cells(outcome))
        {
            text.AppendLine("| " + string.Join(" | ", row) + " |");
        }

        return text.ToString();
    }

    internal static string Fixed(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    internal static string Interval(ConfidenceInterval i) => $"[{Fixed(i.Low)}, {Fixed(i.High)}]";

    internal static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);
}
