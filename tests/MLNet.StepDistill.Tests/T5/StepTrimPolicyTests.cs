using MLNet.StepDistill.T5;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>The trim after a training step happens only when the resident size has grown past the baseline by the slack.</summary>
public sealed class StepTrimPolicyTests
{
    [Fact]
    public void Trims_only_when_the_resident_size_grows_past_the_baseline_by_the_slack_then_re_measures_the_baseline()
    {
        // Resident sizes after successive steps: the first sets the baseline (1000), growth of up to 100 is kept, 1101
        // trims; the next step sets a new baseline (500), so 590 is kept and 601 trims.
        var readings = new Queue<long>([1000, 1050, 1100, 1101, 500, 590, 601, 700]);
        var policy = new StepTrimPolicy(100, () => readings.Dequeue());
        var trimmed = Enumerable.Range(0, 8).Select(_ => policy.AfterStep()).ToArray();
        Assert.Equal([false, false, false, true, false, false, true, false], trimmed);
        Assert.Equal(2, policy.Trims);
        Assert.Equal(8, policy.Steps);
    }

    [Fact]
    public void Measured_from_the_trim_the_first_step_trims_then_growth_past_the_live_set_by_the_slack_does()
    {
        // Readings after steps, and right after each trim: step 1000 trims (no baseline yet), the trim leaves 400; 480
        // and 500 are kept (at most 100 over 400), 501 trims and leaves 420; 520 is kept, 521 trims.
        var readings = new Queue<long>([1000, 400, 480, 500, 501, 420, 520, 521, 430]);
        var policy = new StepTrimPolicy(100, () => readings.Dequeue(), fromTrim: true);
        var trimmed = Enumerable.Range(0, 6).Select(_ => policy.AfterStep()).ToArray();
        Assert.Equal([true, false, false, true, false, true], trimmed);
        Assert.Empty(readings);
    }

    [Fact]
    public void Slack_zero_trims_every_step_and_the_largest_slack_never_does()
    {
        var every = new StepTrimPolicy(0, () => throw new InvalidOperationException("slack 0 needs no reading"));
        var never = new StepTrimPolicy(long.MaxValue, () => throw new InvalidOperationException("no slack needs no reading"));
        Assert.All(Enumerable.Range(0, 3).Select(_ => every.AfterStep()), Assert.True);
        Assert.All(Enumerable.Range(0, 3).Select(_ => never.AfterStep()), Assert.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepTrimPolicy(-1));
    }

    [Fact]
    public void Without_a_resident_size_reading_every_step_trims()
    {
        var policy = new StepTrimPolicy(100, () => 0);
        Assert.True(policy.AfterStep());
        Assert.True(policy.AfterStep());
    }

    [Fact]
    public void Steps_from_two_threads_share_one_baseline()
    {
        // Two trainings in one process: their steps interleave, the process's resident size is what both see.
        long resident = 1000;
        var policy = new StepTrimPolicy(100, () => Interlocked.Read(ref resident));
        var threads = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                policy.AfterStep();
            }
        })).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        Assert.Equal(1000, policy.Steps);
        Assert.Equal(0, policy.Trims);
        Interlocked.Exchange(ref resident, 1101);
        Assert.True(policy.AfterStep());
    }
}
