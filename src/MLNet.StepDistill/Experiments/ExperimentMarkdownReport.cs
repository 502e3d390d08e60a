using System.Globalization;
using System.Text;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// <c>report.md</c>: the table, the plot, the teacher's accuracy, what the numbers do and do not show in plain words, and
/// the cost section (is distilling worth it?).
/// </summary>
public static class ExperimentMarkdownReport
{
    /// <summary>The file name the experiment writes.</summary>
    public const string FileName = "report.md";

    /// <summary>The report of <paramref name="outcome"/>; <paramref name="command"/> is the command line that made it (or null).</summary>
    public static string Write(ExperimentOutcome outcome, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var s = outcome.Settings;
        var text = new StringBuilder();
        text.AppendLine(Invariant($"# Distilling step-by-step on {s.Dataset}"));
        text.AppendLine();
        if (command is not null)
        {
            text.AppendLine("```");
            text.AppendLine(command);
            text.AppendLine("```");
            text.AppendLine();
        }

        var seeds = outcome.Runs.Select(r => r.Seed).Distinct().Count();
        var budget = s.StepBudget == ExperimentStepBudget.EqualEpochs
            ? Invariant($"{s.Steps} optimiser steps of {s.BatchSize} rows on the whole pool and the fraction of them on a fraction (equal epochs)")
            : Invariant($"every run {s.Steps} optimiser steps of {s.BatchSize} rows (equal steps whatever the data size)");
        text.AppendLine(Invariant($"Student `{s.Student}`, {budget}, ") +
                        Invariant($"max input {s.MaxInputLength} / target {s.MaxTargetLength} tokens, alpha {s.Alpha}; training pool: {(s.AnnotatedRowsPath is { } path ? $"the annotated file `{path}`" : $"`{s.TrainSplit}`")} ({s.PoolRows} rows), ") +
                        Invariant($"scored on the first {s.TestRows} rows of `{s.TestSplit}`; {outcome.Runs.Count} runs over {seeds} seed(s). ") +
                        "Accuracy is the mean over seeds; its 95% interval is the union of Student's t interval over the seeds and the Wilson interval " +
                        "of the mean over the test rows (one seed, and the baseline and teacher rows: the Wilson interval alone). " +
                        "Two results are called different only when their intervals do not overlap.");
        text.AppendLine();
        text.Append(ExperimentTable.Markdown(outcome));
        text.AppendLine();
        text.AppendLine($"![accuracy against training data]({AccuracyPlot.FileName})");
        text.AppendLine();
        if (outcome.Teacher.Accuracy is { } teacher)
        {
            text.AppendLine(Invariant($"**Teacher:** {outcome.Teacher.Name} answers {Fixed(teacher)} of the same {outcome.Teacher.TestRows} test rows right ") +
                            Invariant($"(95% interval {ExperimentTable.Interval(outcome.Teacher.Interval)})."));
            text.AppendLine();
        }

        text.AppendLine("## What the numbers show");
        text.AppendLine();
        foreach (var line in Reading(outcome))
        {
            text.AppendLine("- " + line);
        }

        text.AppendLine();
        text.AppendLine("## Is it worth it? Cost");
        text.AppendLine();
        foreach (var line in CostLines(outcome))
        {
            text.AppendLine("- " + line);
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Wall time of this invocation: {outcome.Seconds:F0} s (runs found in results.json were not trained again)."));
        if (outcome.PeakMemoryBytes > 0)
        {
            text.AppendLine(Invariant($"Peak memory of the {outcome.Parallel} run(s) side by side: {outcome.PeakMemoryBytes / (1024.0 * 1024 * 1024):F2} GiB (the process's peak resident set)."));
        }

        return text.ToString();
    }

    /// <summary>The plain-words reading: learning at all, method against method, data efficiency, the gap to the teacher, the limits.</summary>
    public static IReadOnlyList<string> Reading(ExperimentOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var lines = new List<string>();
        var summary = outcome.Summary;
        if (summary.Count == 0)
        {
            return ["No run has finished yet."];
        }

        var largest = summary.Max(r => r.Fraction);
        var baseline = outcome.BaselineInterval;
        foreach (var row in summary.Where(r => r.Fraction == largest))
        {
            var verdict = row.Interval.IsAbove(baseline)
                ? "above the majority-class baseline beyond both intervals: the student learned something"
                : row.Interval.High < baseline.Low
                    ? "below the majority-class baseline"
                    : "not told apart from the majority-class baseline (the intervals overlap): no evidence that it learned the task";
            lines.Add(Invariant($"At {ExperimentTable.Percent(largest)} of the data, {row.Method} scores {Fixed(row.MeanAccuracy)} {ExperimentTable.Interval(row.Interval)}, {verdict} ({Fixed(outcome.Baseline.Accuracy)})."));
        }

        foreach (var fraction in summary.Select(r => r.Fraction).Distinct().Order())
        {
            var atFraction = summary.Where(r => r.Fraction == fraction).ToArray();
            foreach (var stepByStep in atFraction.Where(r => r.Method.StartsWith("step-by-step", StringComparison.Ordinal)))
            {
                var standardName = stepByStep.LabelSource == "gold" ? "fine-tuning" : "distillation";
                if (atFraction.FirstOrDefault(r => r.Method == standardName) is not { } standard)
                {
                    continue;
                }

                var difference = stepByStep.MeanAccuracy - standard.MeanAccuracy;
                var told = stepByStep.Interval.IsAbove(standard.Interval) ? "better, beyond both intervals"
                    : standard.Interval.IsAbove(stepByStep.Interval) ? "worse, beyond both intervals"
                    : "not told apart (the intervals overlap)";
                lines.Add(Invariant($"At {ExperimentTable.Percent(fraction)}: {stepByStep.Method} {Fixed(stepByStep.MeanAccuracy)} against {standard.Method} {Fixed(standard.MeanAccuracy)} ({difference:+0.000;-0.000;0.000}): {told}."));
            }
        }

        var smallest = summary.Min(r => r.Fraction);
        if (smallest < largest && summary.FirstOrDefault(r => r.Method == "fine-tuning" && r.Fraction == largest) is { } full)
        {
            var matching = summary.Where(r => r.Fraction < largest && r.Method.StartsWith("step-by-step", StringComparison.Ordinal) && r.MeanAccuracy >= full.MeanAccuracy)
                .OrderBy(r => r.Fraction).FirstOrDefault();
            lines.Add(matching is null
                ? Invariant($"Data efficiency: no step-by-step run on less data reaches the mean of fine-tuning on {ExperimentTable.Percent(largest)} ({Fixed(full.MeanAccuracy)}).")
                : Invariant($"Data efficiency: {matching.Method} on {ExperimentTable.Percent(matching.Fraction)} of the data ({Fixed(matching.MeanAccuracy)}) reaches the mean of fine-tuning on {ExperimentTable.Percent(largest)} ({Fixed(full.MeanAccuracy)}); mind the intervals before calling it a gain."));
        }

        if (outcome.Teacher.Accuracy is { } teacher && outcome.BestAtLargestFraction is { } best)
        {
            lines.Add(Invariant($"The best student ({best.Method}, {Fixed(best.MeanAccuracy)}) reaches {Percent(best.MeanAccuracy / teacher)} of the teacher's accuracy ({Fixed(teacher)})."));
        }
        else if (outcome.Teacher.Accuracy is null)
        {
            lines.Add(Invariant($"The teacher's accuracy on the test rows is unknown: the dataset has no recorded teacher completions for `{outcome.Settings.TestSplit}` (dataset.json `teachers`)."));
        }

        var seeds = summary.Max(r => r.Seeds);
        lines.Add(Invariant($"What this does not show: with {seeds} seed(s) and {outcome.Settings.TestRows} test rows only differences larger than the intervals are real; ") +
                  (Directory.Exists(outcome.Settings.Student) ? "one checkpoint and one dataset say nothing about others." :
                      $"a `{outcome.Settings.Student}` student trained from scratch knows no language beforehand, so this is not the paper's setting (pretrained T5, 10,000 steps on a GPU: `--recipe paper`)."));
        return lines;
    }

    private static IEnumerable<string> CostLines(ExperimentOutcome outcome)
    {
        var cost = outcome.Cost;
        if (cost.Rows == 0)
        {
            yield return outcome.Settings.AnnotatedRowsPath is { } path
                ? $"The training pool is the annotated file `{path}`: its teacher's tokens and cost are in its rows (`promptTokens`, `completionTokens`, `cost`) and in the summary `stepdistill annotate` printed."
                : "The training pool has no recorded teacher completions to measure.";
        }
        else
        {
            yield return Invariant($"Teacher tokens per row: {cost.PromptTokens:F0} prompt + {cost.CompletionTokens:F0} completion = {cost.TokensPerRow:F0} ") +
                         Invariant($"(the recorded completions and the few-shot prompt of the first {cost.Rows} pool rows, counted with the shipped 4k SentencePiece tokenizer: an upper estimate for a GPT-style tokenizer; characters / 4 gives {(cost.PromptCharacters + cost.CompletionCharacters) / 4:F0}).");
            yield return cost.CostPer1000Rows is { } per1000
                ? Invariant($"Teacher cost per 1,000 rows at {cost.PricePerMillionInputTokens} per million prompt and {cost.PricePerMillionOutputTokens} per million completion tokens: {per1000:F2}; the whole pool ({outcome.Settings.PoolRows} rows): {per1000 * outcome.Settings.PoolRows / 1000:F2}.")
                : "Teacher cost per 1,000 rows: give the teacher's prices (`--teacher-price-in`, `--teacher-price-out`, per million tokens) to compute it.";
        }

        yield return Invariant($"Student inference on this machine: {outcome.MedianInferenceRowsPerSecond:F0} rows/s (median over the runs' scoring of the test rows, measured in this run on the training device).");
        if (outcome.Teacher.Accuracy is { } teacher && outcome.BestAtLargestFraction is { } best && teacher > 0)
        {
            yield return Invariant($"Student accuracy as a share of the teacher's: {Percent(best.MeanAccuracy / teacher)} ({best.Method} at {ExperimentTable.Percent(best.Fraction)} of the data).");
        }
    }

    private static string Percent(double share) => (share * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";

    private static string Fixed(double value) => ExperimentTable.Fixed(value);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
