using MLNet.StepDistill.Diagnostics;

namespace MLNet.StepDistill.T5;

/// <summary>
/// When to give malloc's free pages back between training steps. A step leaves the pages it touched resident in malloc's
/// heaps; the next step reuses them without page faults, so trimming after every step made every step fault in and zero
/// its whole working set again (38% of a tiny step's CPU in the kernel, 15% of t5-small's). Once each step's finalizable
/// garbage is freed after the step (<see cref="TrainingStepMemory.FreeStepGarbage"/>), a step finds the heap as the
/// previous one left it and the resident size levels off, so the library's policy only bounds what drift remains
/// (validation between steps, batches of other shapes): the baseline is the resident size after the first step that
/// follows a trim, a whole step's working set included, and a step trims when the resident size exceeds it by more than
/// <see cref="SlackBytes"/>. The other baseline, the resident size right after the last trim (the live weights, gradients
/// and optimizer state), keeps at most <see cref="SlackBytes"/> of free pages between steps whatever the model: the
/// previous round's policy, under which t5-small's step (0.6 GiB of free pages and more) trimmed after every step; the
/// <c>allocator</c> benchmark's <c>trim-free=</c> setting still runs it (README, "Performance").
/// </summary>
/// <remarks>
/// The decision reads the whole process's resident size, not one training's, so it stays sound when several trainings
/// run in one process: after every trim the next step, from whichever training, re-measures the baseline from what the
/// process then holds, growth from any of them triggers the next trim, and a training that starts (or ends) moves the
/// baseline at that trim. Calls are
/// serialised by a lock; a trim from one training's thread only returns free pages, so the other training's tensors are
/// untouched (its next step may fault some pages in again). A process without <c>/proc</c> (no resident size to read) trims every step.
/// </remarks>
internal sealed class StepTrimPolicy
{
    private readonly object gate = new();
    private readonly Func<long> residentBytes;
    private long baseline = -1;

    /// <summary>
    /// A policy that trims when the resident size after a step exceeds the baseline by more than
    /// <paramref name="slackBytes"/>; 0 trims after every step, <see cref="long.MaxValue"/> never.
    /// </summary>
    /// <param name="slackBytes">The growth allowed past the baseline.</param>
    /// <param name="residentBytes">Reads the process's resident size (default <see cref="ProcessMemory.Resident"/>; tests pass their own).</param>
    /// <param name="fromTrim">Measure the growth from the resident size right after the last trim (the live set) instead of after the first step that follows it.</param>
    public StepTrimPolicy(long slackBytes, Func<long>? residentBytes = null, bool fromTrim = false)
    {
        FromTrim = fromTrim;
        ArgumentOutOfRangeException.ThrowIfNegative(slackBytes);
        SlackBytes = slackBytes;
        this.residentBytes = residentBytes ?? (() => ProcessMemory.Resident);
    }

    /// <summary>
    /// The library's slack: 256 MiB of growth past the resident size after the first step that follows a trim. Chosen
    /// with the <c>allocator</c> and <c>memory</c> benchmarks by speed and peak resident size together (README,
    /// "Performance"): with each step's garbage freed, neither tiny nor t5-small grows that far in a run of fixed
    /// shapes, and t5-small's training peak stays within 1.3x the PyTorch peer's.
    /// </summary>
    public const long LibrarySlackBytes = 256L << 20;

    /// <summary>The policy <see cref="TrainingStepMemory.AfterStep"/> applies, shared by every training in the process.</summary>
    public static StepTrimPolicy Library { get; } = new(LibrarySlackBytes);

    /// <summary>How far the resident size after a step may exceed the baseline before the step's free pages are given back.</summary>
    public long SlackBytes { get; }

    /// <summary>Whether the baseline is the resident size right after the last trim.</summary>
    public bool FromTrim { get; }

    /// <summary>How many times <see cref="AfterStep"/> trimmed.</summary>
    public int Trims { get; private set; }

    /// <summary>How many times <see cref="AfterStep"/> was called.</summary>
    public int Steps { get; private set; }

    /// <summary>Decides after one training step; returns whether it trimmed.</summary>
    public bool AfterStep()
    {
        lock (gate)
        {
            Steps++;
            if (SlackBytes == long.MaxValue)
            {
                return false;
            }

            var resident = SlackBytes == 0 ? 0 : residentBytes();
            // No reading (no /proc) trims every step, as the previous release did.
            if (SlackBytes != 0 && resident > 0 && ((baseline < 0 && !FromTrim) || (baseline >= 0 && resident - baseline <= SlackBytes)))
            {
                baseline = baseline < 0 ? resident : baseline;
                return false;
            }

            GlibcMallocSettings.ReleaseFreeMemory();
            Trims++;
            baseline = FromTrim ? residentBytes() : -1;
            return true;
        }
    }
}
