using System.Runtime.ExceptionServices;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// Runs independent training runs side by side, each on a dedicated thread (long CPU-bound work stays off the thread
/// pool), at most <c>parallel</c> at once. Runs start in the order given. A failing run cancels the others and its own
/// exception is rethrown; cancellation of the caller's token stops every run in flight.
/// </summary>
/// <remarks>
/// One generator per run (<see cref="Training.T5Student.ForkRandomGenerator"/>) is what lets runs share a process
/// without changing their results; the MLContext-derived randomness of each run is its own already.
/// </remarks>
internal static class SideBySideRuns
{
    /// <summary>
    /// The default number of runs side by side: one per torch thread set that the cores hold,
    /// max(1, <see cref="Environment.ProcessorCount"/> / <paramref name="threadsPerRun"/>).
    /// </summary>
    public static int DefaultParallel(int threadsPerRun = TorchThreads.DefaultNumberOfThreads) =>
        Math.Max(1, Environment.ProcessorCount / Math.Max(1, threadsPerRun));

    /// <summary>
    /// Runs <paramref name="run"/> on every item, <paramref name="parallel"/> at once (1: one after the other on the
    /// calling thread), and calls <paramref name="finished"/> (serialised: never two at once) with each item's index and
    /// result as it finishes. The items are drawn one at a time, in order, as a run starts (never two draws at once), so
    /// a lazy sequence may decide at each draw whether another run starts.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; runs finished before were reported.</exception>
    public static void Run<TItem, TResult>(IEnumerable<TItem> items, int parallel, Func<TItem, CancellationToken, TResult> run,
        Action<int, TResult> finished, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        using var source = items.GetEnumerator();
        if (parallel == 1)
        {
            for (var i = 0; source.MoveNext(); i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                finished(i, run(source.Current, cancellationToken));
            }

            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var draw = new Lock();
        var gate = new Lock();
        var next = -1;
        var exhausted = false;
        Exception? failure = null;

        void Worker()
        {
            while (!stop.IsCancellationRequested)
            {
                int i;
                TItem item;
                lock (draw)   // runs start in the items' order
                {
                    if (stop.IsCancellationRequested || exhausted)
                    {
                        return;
                    }

                    if (!source.MoveNext())
                    {
                        exhausted = true;
                        return;
                    }

                    (i, item) = (++next, source.Current);
                }

                try
                {
                    var result = run(item, stop.Token);
                    lock (gate)
                    {
                        finished(i, result);
                    }
                }
                catch (Exception ex)
                {
                    lock (gate)
                    {
                        // The first real failure wins over the cancellations it causes in the other runs.
                        if (failure is null || failure is OperationCanceledException && ex is not OperationCanceledException)
                        {
                            failure = ex;
                        }
                    }

                    stop.Cancel();
                    return;
                }
            }
        }

        var threads = Enumerable.Range(0, parallel)
            .Select(n => new Thread(Worker) { Name = $"stepdistill run {n + 1}", IsBackground = true })
            .ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        if (failure is null && exhausted)
        {
            return;   // every item ran, whatever was cancelled after the last one
        }

        if (failure is null or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }
}
