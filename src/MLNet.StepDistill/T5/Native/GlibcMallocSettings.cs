using System.Runtime.InteropServices;

namespace MLNet.StepDistill.T5;

/// <summary>
/// glibc malloc settings for a process that allocates and frees many large tensor buffers from several threads.
/// glibc's default raises its mmap threshold to the size of each large block it frees (up to 32 MB), after which blocks
/// of that size come from heaps whose free pages are rarely returned to the system; together with up to 8 arenas per
/// core, a training step then peaks at 1.5x (t5-small) to 2.4x (tiny) the resident size it reaches when every buffer is
/// mapped on its own. A fixed 32 MiB threshold keeps most buffers in the heap (reused within a step without the page faults and zeroing of a fresh
/// mapping), two arenas bound the heaps, and <see cref="TrainingStepMemory.AfterStep"/> gives the free pages back whenever the
/// process has grown (<see cref="StepTrimPolicy"/>). While a training runs (<see cref="BeginTraining"/>) nothing is
/// mapped on its own and the heap's free top is kept, so every step reuses the previous step's pages, the largest
/// buffers included, without faulting them in again (measured with speed and peak memory together by the
/// <c>allocator</c> and <c>memory</c> benchmarks; README, "Performance").
/// </summary>
/// <remarks>
/// Applied once, when libtorch is first loaded, on Linux with glibc only, and only when the user has set none of
/// <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_ARENA_MAX</c> (their settings win) and not
/// <c>STEPDISTILL_MALLOC=default</c> (which keeps glibc's defaults); the trims between training steps go with them.
/// </remarks>
internal static class GlibcMallocSettings
{
    /// <summary>
    /// Blocks at least this large are mapped and unmapped on their own. 32 MiB (glibc's own ceiling; the tied
    /// vocabulary logits of a batch are larger): buffers below it are reused from the heap. The 1 MiB of the previous
    /// release mapped almost every activation afresh and cost 17-30% of a training step (issue 20).
    /// </summary>
    public const int MmapThreshold = 32 * 1024 * 1024;

    /// <summary>The free top of a heap larger than this is returned at once (between steps the trim does the rest).</summary>
    public const int TrimThreshold = 64 * 1024 * 1024;

    /// <summary>The most malloc arenas.</summary>
    public const int ArenaMax = 2;

    /// <summary>
    /// The trim threshold while a training runs (<see cref="BeginTraining"/>): the free top of the heap stays, so the
    /// next step reuses it; the trim policy decides what goes back between steps.
    /// </summary>
    public const int TrainingTrimThreshold = 1024 * 1024 * 1024;

    /// <summary>glibc's own limit on the blocks mapped on their own (<c>DEFAULT_MMAP_MAX</c>), restored when the last training ends.</summary>
    private const int GlibcMmapMax = 65536;

    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

    private static readonly object TrainingGate = new();
    private static int trainings;

    /// <summary>Whether the settings were applied in this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Applies the settings where they apply (see the remarks); safe to call more than once.</summary>
    public static void Apply()
    {
        if (Applied || !OperatingSystem.IsLinux() || UserChose())
        {
            return;
        }

        try
        {
            Applied = mallopt(MMmapThreshold, MmapThreshold) == 1 & mallopt(MTrimThreshold, TrimThreshold) == 1 & mallopt(MArenaMax, ArenaMax) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }

    private static bool UserChose() =>
        new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX" }.Any(v => Environment.GetEnvironmentVariable(v) is not null) ||
        string.Equals(Environment.GetEnvironmentVariable("STEPDISTILL_MALLOC"), "default", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Gives the free pages of malloc's heaps back to the system (<c>malloc_trim(0)</c>: the free top of each heap and
    /// the whole free pages inside it); what was free stays free, so the next step reuses the address space and faults
    /// in only the pages it touches. Returns whether glibc was there to ask.
    /// </summary>
    public static bool ReleaseFreeMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            malloc_trim(0);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Called when a training starts, where the settings were applied: from then until the matching
    /// <see cref="EndTraining"/> no block is mapped on its own (every buffer, the vocabulary-sized logits and the
    /// embedding's gradient too, comes from the heaps and is reused by the next step instead of being mapped, faulted
    /// in and zeroed afresh) and the free top of the heap is kept (<see cref="TrainingTrimThreshold"/>); the trim
    /// policy after each step bounds what stays resident. Counted, so trainings side by side share one setting and the
    /// last one to end restores the process's settings and gives the free pages back. Returns whether it applied, in
    /// which case the caller must call <see cref="EndTraining"/>.
    /// </summary>
    /// <remarks>
    /// A thread's own arena still maps a block larger than its heaps (64 MiB), as glibc does whatever the setting. Other
    /// work in the process while a training runs (serving, say) allocates the same way until the training ends.
    /// </remarks>
    public static bool BeginTraining()
    {
        if (!Applied)
        {
            return false;
        }

        lock (TrainingGate)
        {
            if (trainings++ == 0)
            {
                _ = mallopt(MMmapMax, 0) & mallopt(MTrimThreshold, TrainingTrimThreshold);
            }
        }

        return true;
    }

    /// <summary>Ends what <see cref="BeginTraining"/> started; the last training to end restores the settings and trims.</summary>
    public static void EndTraining()
    {
        lock (TrainingGate)
        {
            if (trainings == 0 || --trainings > 0)
            {
                return;
            }

            _ = mallopt(MMmapMax, GlibcMmapMax) & mallopt(MTrimThreshold, TrimThreshold);
        }

        ReleaseFreeMemory();
    }

    /// <summary>How many trainings are between <see cref="BeginTraining"/> and <see cref="EndTraining"/> now.</summary>
    public static int TrainingsRunning
    {
        get
        {
            lock (TrainingGate)
            {
                return trainings;
            }
        }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
