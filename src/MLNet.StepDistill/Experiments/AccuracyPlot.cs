using ScottPlot;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// <c>accuracy-vs-data.png</c>: test accuracy against the training fraction, one line per method with its 95% interval as a
/// band, the teacher and the majority-class baseline as horizontal lines. Drawn with ScottPlot (SkiaSharp), headless.
/// </summary>
public static class AccuracyPlot
{
    /// <summary>The file name the experiment writes.</summary>
    public const string FileName = "accuracy-vs-data.png";

    /// <summary>Draws <paramref name="outcome"/> into a PNG of <paramref name="width"/> x <paramref name="height"/> pixels at <paramref name="path"/> (written beside it and moved into place).</summary>
    public static void Save(ExperimentOutcome outcome, string path, int width = 900, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var plot = Draw(outcome);
        var temp = $"{path}.{Environment.ProcessId}.tmp.png";
        plot.SavePng(temp, width, height);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The plot of <paramref name="outcome"/> as PNG bytes (for notebooks).</summary>
    public static byte[] ToPng(ExperimentOutcome outcome, int width = 900, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var plot = Draw(outcome);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static Plot Draw(ExperimentOutcome outcome)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var summary = outcome.Summary;
        var methods = summary.Select(r => r.Method).Distinct().ToArray();
        for (var i = 0; i < methods.Length; i++)
        {
            var rows = summary.Where(r => r.Method == methods[i]).OrderBy(r => r.Fraction).ToArray();
            var color = palette.GetColor(i);
            double[] xs = [.. rows.Select(r => r.Fraction)];
            if (rows.Length > 1)
            {
                var band = plot.Add.FillY(xs, [.. rows.Select(r => r.Interval.Low)], [.. rows.Select(r => r.Interval.High)]);
                band.FillColor = color.WithAlpha(0.18);
                band.LineWidth = 0;
            }
            else
            {
                var bar = plot.Add.Line(xs[0], rows[0].Interval.Low, xs[0], rows[0].Interval.High);
                bar.Color = color;
                bar.LineWidth = 2;
            }

            var line = plot.Add.Scatter(xs, [.. rows.Select(r => r.MeanAccuracy)]);
            line.Color = color;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.LegendText = methods[i];
        }

        if (outcome.Teacher.Accuracy is { } teacher)
        {
            var line = plot.Add.HorizontalLine(teacher);
            line.Color = Colors.Black;
            line.LineWidth = 2;
            line.LegendText = $"teacher ({outcome.Teacher.Name})";
        }

        var floor = plot.Add.HorizontalLine(outcome.Baseline.Accuracy);
        floor.Color = Colors.Gray;
        floor.LinePattern = LinePattern.Dashed;
        floor.LegendText = "majority class";

        var fractions = summary.Select(r => r.Fraction).Distinct().Order().ToArray();
        if (fractions.Length > 0)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(fractions,
                [.. fractions.Select(f => (f * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%")]);
            var pad = (fractions[^1] - fractions[0]) * 0.08 + fractions[^1] * 0.02;
            plot.Axes.SetLimitsX(Math.Max(0, fractions[0] - pad), fractions[^1] + pad);
        }

        plot.Axes.SetLimitsY(0, 1);
        var s = outcome.Settings;
        plot.Title($"{s.Dataset}: {s.Student} student, {s.Steps} steps{(s.StepBudget == ExperimentStepBudget.EqualEpochs ? " at 100% (equal epochs)" : "")}, {s.TestRows} test rows");
        plot.XLabel("training data (share of the pool)");
        plot.YLabel("test accuracy (mean, 95% interval)");
        plot.ShowLegend(Edge.Right);   // beside the data, never over a line
        return plot;
    }
}
