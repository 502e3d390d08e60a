using System.Globalization;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// What makes two runs of a <see cref="StepByStepExperiment"/> comparable: the data, the student and the training budget.
/// A <c>results.json</c> written with other settings is not resumed. Methods, fractions and seeds are not part of it:
/// a re-run may add seeds or fractions and trains only what is missing.
/// </summary>
/// <param name="Dataset">The dataset's name.</param>
/// <param name="TrainSplit">The training pool's split; null when the pool is an annotated-rows file (<paramref name="AnnotatedRowsPath"/>).</param>
/// <param name="PoolRows">Rows of the pool after the validation carve.</param>
/// <param name="TestSplit">The test split.</param>
/// <param name="TestRows">Test rows scored.</param>
/// <param name="ValidationRows">Rows carved from the pool for validation.</param>
/// <param name="Student">The student preset or checkpoint folder.</param>
/// <param name="Steps">Optimiser steps of every run (of a run on the whole pool under equal epochs).</param>
/// <param name="BatchSize">Rows per step.</param>
/// <param name="LearningRate">The base learning rate, or null for the trainer's default.</param>
/// <param name="WarmupSteps">Warm-up steps.</param>
/// <param name="Alpha">The label-loss weight of step-by-step.</param>
/// <param name="MaxInputLength">The most input tokens.</param>
/// <param name="MaxTargetLength">The most target tokens.</param>
/// <param name="EvaluateEveryNSteps">Validation interval (0: only at the end).</param>
/// <param name="StepBudget">How a run's steps follow from <paramref name="Steps"/> and its fraction (files written before it existed: equal steps).</param>
/// <param name="AnnotatedRowsPath">The annotated-rows file the pool came from, as given; null when it came from <paramref name="TrainSplit"/>.</param>
/// <param name="AnnotatedRowsSha256">
/// That file's SHA-256 (lower-case hex): runs are comparable when the contents are the same, wherever the file lies.
/// </param>
/// <param name="ExplainedRowsSha256">The SHA-256 of the explain-gold file (<see cref="StepByStepExperimentOptions.ExplainedRowsPath"/>); null without one.</param>
/// <param name="OtherTrainerSettings">
/// The other settings of <see cref="StepByStepExperimentOptions.Trainer"/> that change what a run learns, as
/// <c>Name=value</c> pairs, where they differ from the trainer's defaults; null when none does (and in files written
/// before the experiment took the trainer's options, when none could).
/// </param>
public sealed record ExperimentSettings(
    string Dataset, string? TrainSplit, int PoolRows, string TestSplit, int TestRows, int ValidationRows, string Student,
    int Steps, int BatchSize, double? LearningRate, int WarmupSteps, float Alpha, int MaxInputLength, int MaxTargetLength, int EvaluateEveryNSteps,
    ExperimentStepBudget StepBudget = ExperimentStepBudget.EqualSteps, string? AnnotatedRowsPath = null, string? AnnotatedRowsSha256 = null,
    string? ExplainedRowsSha256 = null, string? OtherTrainerSettings = null)
{
    internal static ExperimentSettings From(StepByStepExperimentOptions o, string dataset, string? trainSplit, AnnotatedRowsFile? annotated, AnnotatedRowsFile? explained,
        int poolRows, int testRows)
    {
        var t = o.Trainer;
        return new(dataset, trainSplit, poolRows, o.TestSplit, testRows, o.ValidationRows, t.Student, o.Steps, t.BatchSize, t.LearningRate ?? MultiTaskSeq2SeqTrainerOptions.DefaultLearningRate(t.Student),
            o.WarmupSteps ?? o.Steps / 10, t.Alpha, t.MaxInputLength, t.MaxTargetLength, t.EvaluateEveryNSteps, o.StepBudget,
            annotated?.Path, annotated?.Sha256, explained?.Sha256, OtherThanDefaults(t));
    }

    /// <summary>
    /// The trainer settings that change what a run learns and that the parameters above do not record, where they differ
    /// from the trainer's defaults (so files written before they could be set still resume); null when none does.
    /// </summary>
    private static string? OtherThanDefaults(MultiTaskSeq2SeqTrainerOptions t)
    {
        var d = new MultiTaskSeq2SeqTrainerOptions();
        var pairs = new (string Name, object? Value, object? Default)[]
        {
            (nameof(t.GradientAccumulationSteps), t.GradientAccumulationSteps, d.GradientAccumulationSteps),
            (nameof(t.LearningRateSchedule), t.LearningRateSchedule, d.LearningRateSchedule),
            (nameof(t.WeightDecay), t.WeightDecay, d.WeightDecay),
            (nameof(t.MaxGradientNorm), t.MaxGradientNorm, d.MaxGradientNorm),
            (nameof(t.LengthBucketWindow), t.LengthBucketWindow, d.LengthBucketWindow),
            (nameof(t.KeepBestCheckpoint), t.KeepBestCheckpoint, d.KeepBestCheckpoint),
            (nameof(t.EarlyStoppingPatience), t.EarlyStoppingPatience, d.EarlyStoppingPatience),
            (nameof(t.ScoreAggregation), t.ScoreAggregation, d.ScoreAggregation),
            (nameof(t.Precision), t.Precision, d.Precision),
        }.Where(p => !Equals(p.Value, p.Default)).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name}={p.Value}")).ToArray();
        return pairs.Length == 0 ? null : string.Join(", ", pairs);
    }

    /// <summary>The settings that differ from <paramref name="other"/>, as "Name (file A, this run B)"; empty when none.</summary>
    public IReadOnlyList<string> Differences(ExperimentSettings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var differences = new List<string>();
        void Compare<T>(string name, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name} (results.json {theirs?.ToString() ?? "default"}, this run {mine?.ToString() ?? "default"})"));
            }
        }

        Compare(nameof(Dataset), Dataset, other.Dataset);
        if (AnnotatedRowsSha256 != other.AnnotatedRowsSha256)
        {
            // Named after the experiment's option; the contents decide, so a moved or renamed file still resumes.
            static string Pool(ExperimentSettings s) => s.AnnotatedRowsPath is null ? $"split {s.TrainSplit}" : $"{s.AnnotatedRowsPath}, SHA-256 {s.AnnotatedRowsSha256}";
            differences.Add($"{nameof(StepByStepExperimentOptions.AnnotatedRowsPath)} (results.json {Pool(other)}, this run {Pool(this)})");
        }
        else if (AnnotatedRowsSha256 is null)
        {
            Compare(nameof(TrainSplit), TrainSplit, other.TrainSplit);
        }

        Compare(nameof(PoolRows), PoolRows, other.PoolRows);
        Compare(nameof(TestSplit), TestSplit, other.TestSplit);
        Compare(nameof(TestRows), TestRows, other.TestRows);
        Compare(nameof(ValidationRows), ValidationRows, other.ValidationRows);
        Compare(nameof(Student), Student, other.Student);
        Compare(nameof(Steps), Steps, other.Steps);
        Compare(nameof(BatchSize), BatchSize, other.BatchSize);
        Compare(nameof(LearningRate), LearningRate, other.LearningRate);
        Compare(nameof(WarmupSteps), WarmupSteps, other.WarmupSteps);
        Compare(nameof(Alpha), Alpha, other.Alpha);
        Compare(nameof(MaxInputLength), MaxInputLength, other.MaxInputLength);
        Compare(nameof(MaxTargetLength), MaxTargetLength, other.MaxTargetLength);
        Compare(nameof(EvaluateEveryNSteps), EvaluateEveryNSteps, other.EvaluateEveryNSteps);
        Compare(nameof(StepBudget), StepBudget, other.StepBudget);
        Compare(nameof(OtherTrainerSettings), OtherTrainerSettings, other.OtherTrainerSettings);
        if (ExplainedRowsSha256 != other.ExplainedRowsSha256)
        {
            differences.Add($"{nameof(StepByStepExperimentOptions.ExplainedRowsPath)} (results.json SHA-256 {other.ExplainedRowsSha256 ?? "none"}, this run {ExplainedRowsSha256 ?? "none"})");
        }

        return differences;
    }
}
