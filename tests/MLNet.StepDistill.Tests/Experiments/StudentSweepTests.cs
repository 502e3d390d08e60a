using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

/// <summary>The sweep end to end on a very small configuration: e-SNLI rows, a tiny student, two or three steps a trial.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class StudentSweepTests
{
    private static readonly Lazy<(IReadOnlyList<AnnotatedRow> Train, IReadOnlyList<AnnotatedRow> Test)> Rows = new(() =>
    {
        var esnli = TrainingFixtures.Dataset("esnli");
        return (AnnotatedSplit.Read(new MLContext(), esnli, "valid").Take(40).ToArray(), AnnotatedSplit.Read(new MLContext(), esnli, "test").Take(6).ToArray());
    });

    private static SweepSearchSpace Fast() => new()
    {
        Steps = (2, 3), BatchSizes = [4], MaxInputLengths = [32], MaxTargetLengths = [12],
        Methods = [TrainingMethod.FineTuning, TrainingMethod.StepByStepTeacher],
    };

    /// <summary>The tests' sweep options: trials one after another (the tests of trials side by side set <see cref="StudentSweepOptions.Parallel"/>).</summary>
    private static StudentSweepOptions Options() => new()
    {
        SearchSpace = Fast(),
        Trainer = { Device = "cpu", TokenizerPath = TrainingFixtures.TokenizerPath },
        ValidationFraction = 0.2,
        MaxValidationRows = 6,
        Seed = 4,
        Parallel = 1,
    };

    private static StudentSweep Sweep(MLContext ml, StudentSweepOptions options) => ml.StepDistill().CreateSweep(TrainingFixtures.Dataset("esnli"), Rows.Value.Train, options);

    [Fact]
    public void Runs_the_trials_reports_progress_and_returns_the_leaderboard_with_the_best_student()
    {
        var ml = new MLContext(1);
        var events = new List<SweepProgress>();
        var metricCalls = 0;
        var options = Options();
        options.MaxTrials = 3;
        options.TestData = Rows.Value.Test;
        options.Metric = SweepMetric.Custom("shorter loss", (student, rows) =>
        {
            metricCalls++;
            Assert.Equal(6, rows.Count);
            return -metricCalls;   // the first trial is best by construction
        });
        options.Progress = new Progress(events.Add);
        using var result = Sweep(ml, options).Run();

        Assert.Equal(3, result.Leaderboard.Count);
        Assert.Equal(3, metricCalls);
        Assert.All(result.Leaderboard, t => Assert.Equal(SweepTrial.Completed, t.Status));
        Assert.Equal([1, 2, 3], result.Leaderboard.Select(t => t.Number));
        Assert.Equal(1, result.BestTrial.Number);
        Assert.Equal((34, 6, 6, "shorter loss"), (result.TrainRows, result.ValidationRows, result.TestRows, result.Metric));
        Assert.All(result.Leaderboard, t => Assert.InRange(t.TestAccuracy!.Value, 0, 1));
        Assert.All(result.Leaderboard, t => Assert.InRange(t.Settings.Steps, 2, 3));
        Assert.Equal(3, events.Count(e => e.IsStart));
        Assert.Equal(3, events.Count(e => e.Finished is not null));
        Assert.Equal(result.Leaderboard.Sum(t => t.Settings.Steps), events.Count(e => e.Step is not null));

        // The best student scores rows like any trained transformer, and the leaderboard has a JSON and a Markdown form.
        var scored = result.BestModel.Transform(AnnotatedSplit.ToDataView(ml, Rows.Value.Test));
        Assert.Contains(scored.Schema, c => c.Name == "PredictedLabel");
        using var json = JsonDocument.Parse(result.ToJson("best-model.zip"));
        Assert.Equal(3, json.RootElement.GetProperty("trials").GetArrayLength());
        Assert.Equal(1, json.RootElement.GetProperty("best").GetProperty("trial").GetInt32());
        Assert.Contains("| 1 | 1 |", result.ToMarkdown());
    }

    [Theory]
    [InlineData(SweepTuner.Random, 4)]
    [InlineData(SweepTuner.SuccessiveHalving, 7)]
    public void Trials_side_by_side_give_the_leaderboard_of_trials_one_after_another(SweepTuner tuner, int maxTrials)
    {
        (string[] Trials, int Best, int Parallel) Run(int parallel)
        {
            var options = Options();
            options.SearchSpace = new SweepSearchSpace
            {
                Steps = (2, 8), BatchSizes = [4], MaxInputLengths = [32], MaxTargetLengths = [12],
                Methods = [TrainingMethod.FineTuning, TrainingMethod.StepByStepTeacher],
            };
            options.Tuner = tuner;
            options.ReductionFactor = 2;
            options.MaxTrials = maxTrials;
            options.TestData = Rows.Value.Test;
            options.Parallel = parallel;
            using var result = Sweep(new MLContext(1), options).Run();
            return (result.Leaderboard.Select(t => (t with { Seconds = 0 }).ToString()).ToArray(), result.BestTrial.Number, result.Parallel);
        }

        var oneAfterAnother = Run(1);
        var sideBySide = Run(2);

        Assert.Equal(maxTrials, sideBySide.Trials.Length);
        Assert.All(sideBySide.Trials, t => Assert.Contains(SweepTrial.Completed, t));
        Assert.Equal((1, 2), (oneAfterAnother.Parallel, sideBySide.Parallel));
        Assert.Equal(oneAfterAnother.Trials, sideBySide.Trials);
        Assert.Equal(oneAfterAnother.Best, sideBySide.Best);
    }

    [Fact]
    public void Options_out_of_range_or_set_where_each_trial_sets_them_are_refused_naming_the_option()
    {
        var ml = new MLContext(1);
        string Refused<TException>(StudentSweepOptions options) where TException : Exception => Assert.Throws<TException>(() => Sweep(ml, options)).Message;

        Assert.StartsWith("StudentSweepOptions.ValidationFraction ", Refused<ArgumentOutOfRangeException>(new() { ValidationFraction = 1 }));
        Assert.StartsWith("StudentSweepOptions.ReductionFactor ", Refused<ArgumentOutOfRangeException>(new() { ReductionFactor = 1 }));
        Assert.StartsWith("StudentSweepOptions.MaxTrials ", Refused<ArgumentOutOfRangeException>(new() { MaxTrials = 0 }));
        Assert.StartsWith("StudentSweepOptions.Trainer.Alpha ", Refused<ArgumentException>(new() { Trainer = { Alpha = 0.3f } }));   // drawn per trial
        Assert.StartsWith("StudentSweepOptions.Trainer.Seed ", Refused<ArgumentException>(new() { Trainer = { Seed = 3 } }));       // the sweep's Seed decides
        Assert.StartsWith("MultiTaskSeq2SeqTrainerOptions.NumberOfThreads ", Refused<ArgumentOutOfRangeException>(new() { Trainer = { NumberOfThreads = -1 } }));
    }

    [Fact]
    public void The_same_seed_draws_the_same_trials()
    {
        var space = new SweepSearchSpace();
        var first = Enumerable.Range(0, 5).Select(_ => space.Sample(new Random(7))).ToArray();
        var random = new Random(7);
        var a = Enumerable.Range(0, 5).Select(_ => space.Sample(random)).ToArray();
        random = new Random(7);
        var b = Enumerable.Range(0, 5).Select(_ => space.Sample(random)).ToArray();

        Assert.Equal(a, b);
        Assert.All(a, s => Assert.InRange(s.LearningRate, 2e-4, 1.5e-3));
        Assert.All(a, s => Assert.InRange(s.Steps, 20, 200));
        Assert.All(a.Where(s => TrainingMethods.Mode(s.Method) != TrainingMode.StepByStep), s => Assert.Equal(1f, s.Alpha));
        Assert.Single(first.Distinct());
    }

    [Fact]
    public void A_budget_too_short_for_any_trial_stops_it_and_says_so()
    {
        var options = Options();
        options.SearchSpace = new SweepSearchSpace { Steps = (100_000, 100_000), BatchSizes = [4], MaxInputLengths = [32], MaxTargetLengths = [12] };
        options.TrainingTimeSeconds = 2;
        var error = Assert.Throws<InvalidOperationException>(() => Sweep(new MLContext(1), options).Run());

        Assert.Contains("No trial finished within the training time of 2 s", error.Message);
        Assert.Contains("trial 1 was stopped", error.Message);
    }

    [Fact]
    public void A_bad_search_space_is_named()
    {
        var error = Assert.Throws<ArgumentException>(() => new SweepSearchSpace { LearningRate = (1e-3, 1e-4) }.Validate());

        Assert.Contains("SweepSearchSpace.LearningRate", error.Message);
    }

    private sealed class Progress(Action<SweepProgress> report) : IProgress<SweepProgress>
    {
        public void Report(SweepProgress value) => report(value);
    }
}
