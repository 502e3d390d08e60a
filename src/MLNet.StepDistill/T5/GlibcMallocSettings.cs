using System.Runtime.InteropServices;

namespace MLNet.StepDistill.T5;

/// <summary>
/// glibc malloc settings for a process that allocates and frees many large tensor buffers from several threads.
/// glibc's default raises its mmap threshold to the size of each large block it frees (up to 32 MB), after which blocks
/// of that size come from per-thread heaps that are rarely returned to the system; together with up to 8 arenas per
/// core, a training process then keeps about twice what its live tensors need. A fixed threshold (which also fixes the
/// trim threshold) and two arenas keep the resident size near the live tensors (measured in issue 13's notes and by the
/// <c>memory</c> benchmark).
/// </summary>
/// <remarks>
/// Applied once, when libtorch is first loaded, on Linux with glibc only, and only when the user has set none of
/// <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_ARENA_MAX</c> (their settings win) and not
/// <c>STEPDISTILL_MALLOC=default</c> (which keeps glibc's defaults).
/// </remarks>
internal static class GlibcMallocSettings
{
    /// <summary>
    /// Blocks at least this large are mapped and unmapped on their own. 1 MiB: t5-small training at batch 8 peaked at
    /// 1.60 GiB with steps 16% faster than at glibc's initial 128 KiB (1.50 GiB), which maps and zeroes more buffers per
    /// step; glibc's default (a threshold that climbs to 32 MiB) peaked at 2.37 GiB after 8 steps and kept growing.
    /// </summary>
    public const int MmapThreshold = 1024 * 1024;

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
            Applied = mallopt(MMmapThreshold, MmapThreshold) == 1 & mallopt(MTrimThreshold, 2 * MmapThreshold) == 1 & mallopt(MArenaMax, ArenaMax) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): nothing to tune.
        }
    }

    private static bool UserChose() =>
        new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX" }.Any(v => Environment.GetEnvironmentVariable(v) is not null) ||
        string.Equals(Environment.GetEnvironmentVariable("STEPDISTILL_MALLOC"), "default", StringComparison.OrdinalIgnoreCase);

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
