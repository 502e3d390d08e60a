using MLNet.StepDistill.Experiments;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

public sealed class ConfidenceIntervalTests
{
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17, table I,
    // method 3 (Wilson score interval without continuity correction), to the four decimals printed there.
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_matches_Newcombes_table(int successes, int trials, double low, double high)
    {
        var interval = ConfidenceInterval.Wilson(successes, trials);

        Assert.Equal(low, Math.Round(interval.Low, 4));
        Assert.Equal(high, Math.Round(interval.High, 4));
    }

    [Fact]
    public void Wilson_of_no_trials_is_the_whole_range_and_bad_counts_are_refused()
    {
        Assert.Equal(new ConfidenceInterval(0, 1), ConfidenceInterval.Wilson(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceInterval.Wilson(5, 4));
    }

    [Fact]
    public void StudentT_of_three_seeds_is_mean_plus_minus_t2_times_the_standard_error()
    {
        // By hand: mean 0.42, s = sqrt((0.02² + 0.02² + 0) / 2) = 0.02, t(0.975, 2) = 4.302653 (tables),
        // half-width 4.302653 * 0.02 / sqrt(3) = 0.0496828.
        var interval = ConfidenceInterval.StudentT([0.40, 0.44, 0.42]);

        Assert.Equal(0.3703172, interval.Low, 6);
        Assert.Equal(0.4696828, interval.High, 6);
        Assert.Equal(0.02, ConfidenceInterval.StandardDeviation([0.40, 0.44, 0.42]), 12);
    }

    [Fact]
    public void StudentT_quantiles_follow_the_table_and_approach_the_normal()
    {
        Assert.Equal(12.706205, ConfidenceInterval.TQuantile975(1), 6);
        Assert.Equal(2.042272, ConfidenceInterval.TQuantile975(30), 6);
        Assert.Equal(2.0211, ConfidenceInterval.TQuantile975(40), 3);   // table value 2.021
        Assert.Equal(1.984, ConfidenceInterval.TQuantile975(100), 3);   // table value 1.984
        Assert.Throws<ArgumentException>(() => ConfidenceInterval.StudentT([0.5]));
    }

    [Fact]
    public void StudentT_is_clipped_to_the_range_of_an_accuracy()
    {
        var interval = ConfidenceInterval.StudentT([0.0, 0.5]);

        Assert.Equal(0, interval.Low);
        Assert.Equal(1, interval.High);
    }

    [Fact]
    public void A_summary_with_seeds_that_agree_keeps_the_test_rows_sampling_error()
    {
        static ExperimentRunResult Run(int seed, int correct) =>
            new("fine-tuning", "gold", 1, seed, 10, 5, 100, correct, correct / 100.0, 0, 1, null, null, null, null, 1, 1);

        var summary = ExperimentSummaryRow.Of("fine-tuning", 1, [Run(1, 40), Run(2, 40)]);

        Assert.Equal(0.40, summary.MeanAccuracy, 12);
        Assert.Equal(0.3094, Math.Round(summary.Interval.Low, 4));   // Wilson 40/100: the t-interval alone is [0.40, 0.40]
        Assert.Equal(0.4980, Math.Round(summary.Interval.High, 4));
    }
}
