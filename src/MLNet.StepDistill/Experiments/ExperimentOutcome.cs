namespace MLNet.StepDistill.Experiments;

/// <summary>
/// Everything a <see cref="StepByStepExperiment"/> found: the runs, their summary per method and fraction, the majority-class
/// baseline, the teacher's accuracy on the same test rows, and what the teacher costs.
/// </summary>
/// <param name="Settings">The data, student and budget of the runs.</param>
/// <param name="Runs">Every run, in run order.</param>
/// <param name="Baseline">The majority-class baseline on the test rows (trained on the whole pool's gold labels).</param>
/// <param name="Teacher">The teacher's accuracy on the test rows.</param>
/// <param name="Cost">Teacher tokens and price per row.</param>
/// <param name="Seconds">Wall time of this call of Run (runs skipped on resume take none).</param>
/// <param name="Parallel">How many runs trained side by side in this call (<see cref="StepByStepExperimentOptions.Parallel"/>).</param>
/// <param name="PeakMemoryBytes">The process's peak resident memory (VmHWM of /proc/self/status; 0 where there is none) at the end of this call: the peak of its runs side by side.</param>
public sealed record ExperimentOutcome(
    ExperimentSettings Settings, IReadOnlyList<ExperimentRunResult> Runs, BaselineScore Baseline, TeacherScore Teacher, TeacherCost Cost, double Seconds,
    int Parallel, long PeakMemoryBytes)
{
    /// <summary>One row per method and fraction (methods in run order, fractions ascending): mean accuracy over the seeds and its interval.</summary>
    public IReadOnlyList<ExperimentSummaryRow> Summary => Runs
        .GroupBy(r => (r.Method, r.Fraction))
        .OrderBy(g => Runs.Select(r => r.Method).Distinct().ToList().IndexOf(g.Key.Method)).ThenBy(g => g.Key.Fraction)
        .Select(g => ExperimentSummaryRow.Of(g.Key.Method, g.Key.Fraction, g.ToArray()))
        .ToArray();

    /// <summary>The baseline's 95% Wilson interval.</summary>
    public ConfidenceInterval BaselineInterval => ConfidenceInterval.Wilson((int)Math.Round(Baseline.Accuracy * Baseline.TestRows), Baseline.TestRows);

    /// <summary>The median over runs of test rows scored per second.</summary>
    public double MedianInferenceRowsPerSecond
    {
        get
        {
            var speeds = Runs.Select(r => r.InferenceRowsPerSecond).Where(s => s > 0).Order().ToArray();
            return speeds.Length == 0 ? 0 : speeds.Length % 2 == 1 ? speeds[speeds.Length / 2] : (speeds[speeds.Length / 2 - 1] + speeds[speeds.Length / 2]) / 2;
        }
    }

    /// <summary>The summary row with the best mean accuracy at the largest fraction, or null without runs.</summary>
    public ExperimentSummaryRow? BestAtLargestFraction
    {
        get
        {
            var rows = Summary;
            return rows.Count == 0 ? null : rows.Where(r => r.Fraction == rows.Max(x => x.Fraction)).MaxBy(r => r.MeanAccuracy);
        }
    }
}

/// <summary>One method at one training fraction, over its seeds.</summary>
/// <param name="Method">The method's name.</param>
/// <param name="LabelSource"><c>"gold"</c> or <c>"teacher"</c>.</param>
/// <param name="Fraction">The training fraction.</param>
/// <param name="TrainRows">Training rows.</param>
/// <param name="Seeds">How many seeds were run.</param>
/// <param name="MeanAccuracy">The mean test accuracy over the seeds.</param>
/// <param name="StandardDeviation">The sample standard deviation over the seeds (0 with one seed).</param>
/// <param name="Interval">
/// The 95% interval. With two or more seeds: the union of Student's t interval over the seeds' accuracies (the spread
/// between training runs) and the Wilson interval of the mean accuracy over the test rows (their sampling error), so two
/// seeds that happen to agree do not give an interval of width zero. With one seed: the Wilson interval of its accuracy.
/// </param>
/// <param name="MeanMacroAccuracy">The mean macro accuracy, or null.</param>
/// <param name="MeanLogLoss">The mean log-loss, or null.</param>
/// <param name="MeanSeconds">The mean wall time of a run.</param>
public sealed record ExperimentSummaryRow(
    string Method, string LabelSource, double Fraction, int TrainRows, int Seeds, double MeanAccuracy, double StandardDeviation,
    ConfidenceInterval Interval, double? MeanMacroAccuracy, double? MeanLogLoss, double MeanSeconds)
{
    /// <summary>The summary of the runs of one method at one fraction.</summary>
    public static ExperimentSummaryRow Of(string method, double fraction, IReadOnlyList<ExperimentRunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            throw new ArgumentException("A summary needs at least one run.", nameof(runs));
        }

        var accuracies = runs.Select(r => r.Accuracy).ToArray();
        var mean = accuracies.Average();
        var wilson = ConfidenceInterval.Wilson((int)Math.Round(mean * runs[0].TestRows), runs[0].TestRows);
        var interval = runs.Count >= 2 ? ConfidenceInterval.StudentT(accuracies).Union(wilson) : new ConfidenceInterval(runs[0].AccuracyLow, runs[0].AccuracyHigh);
        double? Mean(Func<ExperimentRunResult, double?> pick) => runs.All(r => pick(r) is not null) ? runs.Average(r => pick(r)!.Value) : null;
        return new ExperimentSummaryRow(method, runs[0].LabelSource, fraction, runs[0].TrainRows, runs.Count, accuracies.Average(),
            ConfidenceInterval.StandardDeviation(accuracies), interval, Mean(r => r.MacroAccuracy), Mean(r => r.LogLoss), runs.Average(r => r.Seconds));
    }
}
