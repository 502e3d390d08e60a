using System.Diagnostics;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>One fuzz case: the file written, and the load that must succeed with the right content (returns true) or fail cleanly.</summary>
/// <param name="File">The file the case wrote; a clean error must name it.</param>
/// <param name="LoadAndCheck">Loads the file; true when the content is right, false when it loaded something wrong.</param>
internal sealed record FuzzCase(string File, Func<bool> LoadAndCheck);

/// <summary>What happened to the cases of one reader.</summary>
internal sealed class FuzzTally(string reader)
{
    public string Reader { get; } = reader;

    public int Cases { get; set; }

    public int CleanErrors { get; set; }

    public int Successes { get; set; }

    public int RawExceptions { get; set; }

    public int SilentCorruptions { get; set; }

    public int Hangs { get; set; }

    public int OverAllocations { get; set; }

    public long MaxAllocatedBytes { get; set; }

    public Dictionary<string, int> ErrorKinds { get; } = [];

    public List<string> Examples { get; } = [];

    public bool Clean => RawExceptions == 0 && SilentCorruptions == 0 && Hangs == 0 && OverAllocations == 0;

    public override string ToString() =>
        $"{Reader}: {Cases} cases, {CleanErrors} clean errors, {Successes} successes (right content), {RawExceptions} raw exceptions, " +
        $"{SilentCorruptions} silently accepted corruptions, {Hangs} hangs, {OverAllocations} over the allocation bound " +
        $"(largest case allocated {MaxAllocatedBytes / 1024} KiB)";
}

/// <summary>
/// Runs seeded cases against a reader: each must end in success with the right content, or in one of the library's
/// documented exceptions (<see cref="DatasetFormatException"/>, <see cref="ModelFormatException"/> and its
/// <see cref="FileIntegrityException"/>) whose message names the file; anything else, a case over the time limit or
/// one that allocates more managed memory than the bound, is a failure. Prints the tally.
/// </summary>
internal static class FuzzHarness
{
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    public static FuzzTally Run(ITestOutputHelper output, string reader, int cases, int seed, long allocationBound, Func<int, Random, FuzzCase> makeCase)
    {
        var tally = new FuzzTally(reader);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < cases; i++)
        {
            var rng = new Random(unchecked(seed * 100_003 + i)); // HashCode.Combine would differ per process
            var fuzzCase = makeCase(i, rng);
            tally.Cases++;
            long allocated = 0;
            var task = Task.Run(() =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    return fuzzCase.LoadAndCheck();
                }
                finally
                {
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }
            });

            try
            {
                if (!task.Wait(CaseTimeout))
                {
                    tally.Hangs++;
                    Note(tally, i, $"no result within {CaseTimeout.TotalSeconds} s");
                    continue;
                }

                if (task.Result)
                {
                    tally.Successes++;
                }
                else
                {
                    tally.SilentCorruptions++;
                    Note(tally, i, "loaded, but the content is wrong");
                }
            }
            catch (AggregateException aggregate) when (aggregate.InnerException is { } error)
            {
                var named = error.Message.Contains(fuzzCase.File, StringComparison.Ordinal)
                    || error.Message.Contains(Path.GetFileName(fuzzCase.File), StringComparison.Ordinal);
                if (error is DatasetFormatException or ModelFormatException && named)
                {
                    tally.CleanErrors++;
                    var kind = error.GetType().Name;
                    tally.ErrorKinds[kind] = tally.ErrorKinds.GetValueOrDefault(kind) + 1;
                }
                else
                {
                    tally.RawExceptions++;
                    Note(tally, i, $"{error.GetType().FullName}{(named ? "" : " (file not named)")}: {error.Message} at {error.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
                }
            }

            tally.MaxAllocatedBytes = Math.Max(tally.MaxAllocatedBytes, allocated);
            if (allocated > allocationBound)
            {
                tally.OverAllocations++;
                Note(tally, i, $"allocated {allocated} bytes, over the bound of {allocationBound}");
            }
        }

        output.WriteLine($"FUZZ {tally} in {watch.Elapsed.TotalSeconds:F1} s; errors by type: " +
            string.Join(", ", tally.ErrorKinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        foreach (var example in tally.Examples)
        {
            output.WriteLine("  " + example);
        }

        Assert.True(tally.Clean, tally + Environment.NewLine + string.Join(Environment.NewLine, tally.Examples));
        return tally;
    }

    private static void Note(FuzzTally tally, int index, string what)
    {
        if (tally.Examples.Count < 10)
        {
            tally.Examples.Add($"case {index}: {(what.Length > 400 ? what[..400] + " ..." : what)}");
        }
    }
}
