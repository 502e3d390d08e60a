namespace MLNet.StepDistill.Tests;

/// <summary>Runs work on threads of its own (not the thread pool, which may run two items one after the other on one thread).</summary>
internal static class OwnThreads
{
    /// <summary>Runs <paramref name="body"/>(0 .. count - 1), each on a new thread, and waits for all of them.</summary>
    public static void Run(int count, Action<int> body)
    {
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() => body(i))).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }
}
