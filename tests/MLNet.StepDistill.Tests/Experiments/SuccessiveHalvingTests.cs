using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

/// <summary>Successive halving: its rungs, who is promoted with which settings, and a sweep run with it end to end.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class SuccessiveHalvingTests
{
    [Theory]
    [InlineData(20, 200, 3, new[] { 22, 66, 200 })]
    [InlineData(100, 1000, 3, new[] { 111, 333, 1000 })]
    [InlineData(10, 80, 2, new[] { 10, 20, 40, 80 })]
    [InlineData(50, 100, 3, new[] { 100 })]
    public void Rungs_end_at_the_most_steps_and_divide_by_eta_down_to_the_fewest(int min, int max, int eta, int[] expected) =>
        Assert.Equal(expected, SuccessiveHalvingTuner.RungSteps(min, max, eta));

    [Fact]
    public void The_best_third_of_a_rung_goes_on_with_three_times_the_steps_and_the_same_other_settings()
    {
        var tuner = new SuccessiveHalvingTuner(new SweepSearchSpace { Steps = (20, 200) }, new Random(3), eta: 3);
        var first = Enumerable.Range(0, 9).Select(_ => tuner.Next()).ToArray();
        Assert.All(first, s => Assert.Equal(22, s.Steps));
        Assert.Equal(9, first.Distinct().Count());

        // Metrics 0..8 in trial order: trials 8, 7 and 6 are the best three.
        for (var i = 0; i < first.Length; i++)
        {
            tuner.Report(first[i], i);
        }

        var second = Enumerable.Range(0, 3).Select(_ => tuner.Next()).ToArray();
        Assert.Equal(1, tuner.Rung);
        Assert.Equal([first[8] with { Steps = 66 }, first[7] with { Steps = 66 }, first[6] with { Steps = 66 }], second);
        tuner.Report(second[0], 0.1);
        tuner.Report(second[1], 0.9);
        tuner.Report(second[2], 0.5);

        var third = tuner.Next();
        Assert.Equal((2, first[7] with { Steps = 200 }), (tuner.Rung, third));
        tuner.Report(third, 0.7);

        // The top rung done, a new bracket draws nine new settings at the lowest rung.
        var next = tuner.Next();
        Assert.Equal((0, 22), (tuner.Rung, next.Steps));
        Assert.DoesNotContain(next with { Steps = 22 }, first);
    }

    [Fact]
    public void A_sweep_with_successive_halving_trains_the_promoted_settings_longer_and_says_which_tuner_ran()
    {
        var esnli = TrainingFixtures.Dataset("esnli");
        var train = AnnotatedSplit.Read(new MLContext(), esnli, "valid").Take(40).ToArray();
        var ml = new MLContext(1);
        using var result = ml.StepDistill().CreateSweep(esnli, train, new StudentSweepOptions
        {
            SearchSpace = new SweepSearchSpace
            {
                Steps = (1, 4), BatchSizes = [4], MaxInputLengths = [32], MaxTargetLengths = [12],
                Methods = [TrainingMethod.FineTuning, TrainingMethod.StepByStepTeacher],
            },
            Tuner = SweepTuner.SuccessiveHalving,
            ReductionFactor = 2,
            Trainer = { TokenizerPath = TrainingFixtures.TokenizerPath },
            ValidationFraction = 0.2,
            MaxValidationRows = 6,
            MaxTrials = 7,
            Seed = 4,
        }).Run();

        var trials = result.Leaderboard.OrderBy(t => t.Number).ToArray();
        Assert.Equal([1, 1, 1, 1, 2, 2, 4], trials.Select(t => t.Settings.Steps));
        Assert.Equal(SweepTuner.SuccessiveHalving, result.Tuner);
        Assert.Contains("\"tuner\": \"SuccessiveHalving\"", result.ToJson());

        // Each promoted trial repeats one of the lower rung's settings, one of its best by the validation metric.
        var rung0 = trials[..4];
        foreach (var promoted in trials[4..6])
        {
            var origin = Assert.Single(rung0, t => t.Settings with { Steps = 2 } == promoted.Settings);
            Assert.True(rung0.Count(t => t.ValidationMetric > origin.ValidationMetric) < 2, "a promoted trial was not among the best half");
        }

        Assert.Contains(trials[4..6], t => t.Settings with { Steps = 4 } == trials[6].Settings);
    }
}
