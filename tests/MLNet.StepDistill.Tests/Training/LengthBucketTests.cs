using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>Length-bucketed batches: an option that changes the batches only when on.</summary>
public sealed class LengthBucketTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 50).Select(i => (i * 37) % 101).ToArray();

    [Fact]
    public void Without_a_window_the_plan_is_the_unbucketed_one()
    {
        var plain = new BatchPlan(50, 8, seed: 3);
        var off = new BatchPlan(50, 8, seed: 3, Lengths, bucketWindow: 0);
        var one = new BatchPlan(50, 8, seed: 3, Lengths, bucketWindow: 1);
        for (var step = 0; step < 3 * plain.StepsPerEpoch; step++)
        {
            Assert.Equal(plain.RowsOf(step), off.RowsOf(step));
            Assert.Equal(plain.RowsOf(step), one.RowsOf(step));
        }
    }

    [Fact]
    public void Bucketed_epochs_cover_every_row_once_repeat_for_the_seed_and_keep_the_short_batch_last()
    {
        var plan = new BatchPlan(50, 8, seed: 3, Lengths, bucketWindow: 20);
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var batches = Enumerable.Range(epoch * plan.StepsPerEpoch, plan.StepsPerEpoch).Select(plan.RowsOf).ToArray();
            Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b).Order());
            Assert.All(batches[..^1], b => Assert.Equal(8, b.Length));
            Assert.Equal(2, batches[^1].Length);
        }

        var again = new BatchPlan(50, 8, seed: 3, Lengths, bucketWindow: 20);
        Assert.Equal(plan.RowsOf(9), again.RowsOf(9));
        Assert.NotEqual(plan.RowsOf(0), new BatchPlan(50, 8, seed: 4, Lengths, bucketWindow: 20).RowsOf(0));
    }

    [Fact]
    public void Bucketed_batches_pad_less_than_unbucketed_ones()
    {
        static long Padding(BatchPlan plan) => Enumerable.Range(0, plan.StepsPerEpoch)
            .Select(plan.RowsOf)
            .Sum(b => (long)b.Length * b.Max(r => Lengths[r]) - b.Sum(r => Lengths[r]));

        var plain = Padding(new BatchPlan(50, 8, seed: 3));
        var bucketed = Padding(new BatchPlan(50, 8, seed: 3, Lengths, bucketWindow: 50));
        Assert.True(bucketed < plain / 2, $"padding bucketed {bucketed} vs plain {plain}");
    }

    [Fact]
    public void A_window_needs_one_length_per_row() =>
        Assert.Throws<ArgumentException>(() => new BatchPlan(50, 8, seed: 3, Lengths[..10], bucketWindow: 20));

    [Fact]
    public void The_resume_fingerprint_names_the_window_only_when_it_is_on()
    {
        var off = ResumeFingerprint.Of(new MultiTaskSeq2SeqTrainerOptions(), 1, 10, 5);
        var on = ResumeFingerprint.Of(new MultiTaskSeq2SeqTrainerOptions { LengthBucketWindow = 256 }, 1, 10, 5);
        Assert.DoesNotContain("LengthBucketWindow", off);
        Assert.Contains("LengthBucketWindow (checkpoint absent, this run 256)", ResumeFingerprint.Differences(off, on));
    }
}
