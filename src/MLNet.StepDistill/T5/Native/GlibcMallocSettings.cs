using System.Runtime.InteropServices;

namespace MLNet.StepDistill.T5;

/// <summary>
/// glibc malloc settings for a process that allocates and frees many large tensor buffers from several threads.
/// glibc's default raises its mmap threshold to the size of each large block it frees (up to 32 MB), after which blocks
/// of that size come from heaps whose free pages are rarely returned to the system; together with up to 8 arenas per
/// core, a training step then peaks at 1.5x (t5-small) to 2.4x (tiny) the resident size it reaches when every buffer is
/// mapped on its own. A fixed 32 MiB threshold keeps most buffers in the heap (reused within a step without the page faults and zeroing of a fresh
/// mapping), two arenas bound the heaps, and <see cref="AfterTrainingStep"/> gives the free pages back whenever the
/// process has grown (<see cref="StepTrimPolicy"/>), so the peak stays near the live tensors without faulting every
/// step's working set in again (measured with speed by the <c>allocator</c> benchmark; README, "Performance").
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

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

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
    /// Called after every training step where the settings were applied: trims when <see cref="StepTrimPolicy.Library"/>
    /// says the process has grown (see there), so most steps reuse the pages the previous one touched.
    /// </summary>
    public static void AfterTrainingStep()
    {
        if (Applied)
        {
            StepTrimPolicy.Library.AfterStep();
        }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
