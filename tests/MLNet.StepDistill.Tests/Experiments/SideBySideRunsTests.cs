using MLNet.StepDistill.Experiments;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

/// <summary>How runs side by side start, finish, fail and stop (no torch: the runs are stand-ins).</summary>
public sealed class SideBySideRunsTests
{
    [Fact]
    public void A_failing_run_stops_the_others_and_its_own_exception_is_the_one_thrown()
    {
        var cancelledOthers = 0;
        var finished = new List<int>();
        var error = Assert.Throws<InvalidOperationException>(() => SideBySideRuns.Run(Enumerable.Range(0, 6), 2, (item, token) =>
        {
            if (item == 1)
            {
                Thread.Sleep(50);
                throw new InvalidOperationException("run 1 broke");
            }

            if (token.WaitHandle.WaitOne(TimeSpan.FromSeconds(30)))
            {
                Interlocked.Increment(ref cancelledOthers);
                token.ThrowIfCancellationRequested();
            }

            return item;
        }, (i, result) => finished.Add(result), CancellationToken.None));

        Assert.Equal("run 1 broke", error.Message);
        Assert.Equal(1, cancelledOthers);   // run 0 was in flight and was stopped; runs 2 to 5 never started
        Assert.Empty(finished);
    }

    [Fact]
    public void Runs_start_in_order_finish_in_any_order_and_the_callers_token_stops_those_in_flight()
    {
        using var cancel = new CancellationTokenSource();
        var started = new List<int>();
        var finished = new List<(int Index, int Result)>();
        Assert.ThrowsAny<OperationCanceledException>(() => SideBySideRuns.Run(Enumerable.Range(0, 5), 2, (item, token) =>
        {
            lock (started)
            {
                started.Add(item);
            }

            if (item == 0)
            {
                token.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));   // the long run: still in flight when the caller cancels
                token.ThrowIfCancellationRequested();
            }

            return item * 10;
        }, (i, result) =>
        {
            finished.Add((i, result));
            if (finished.Count == 3)
            {
                cancel.Cancel();
            }
        }, cancel.Token));

        Assert.Equal([1, 2, 3], finished.Select(f => f.Index));   // item 0 never finished: cancelled in flight
        Assert.Equal([10, 20, 30], finished.Select(f => f.Result));
        Assert.Equal(Enumerable.Range(0, started.Count), started.Order());
        Assert.Equal(0, started[0]);
    }
}
