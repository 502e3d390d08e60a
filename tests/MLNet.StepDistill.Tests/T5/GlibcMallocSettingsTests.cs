using MLNet.StepDistill.T5;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Loading libtorch on Linux/glibc fixes malloc's thresholds and arenas unless the user chose them.</summary>
public sealed class GlibcMallocSettingsTests
{
    [Fact]
    public void Loading_libtorch_on_glibc_applies_the_settings_unless_the_environment_sets_them()
    {
        NativeTorch.EnsureLoaded();
        var userChose = new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX" }.Any(v => Environment.GetEnvironmentVariable(v) is not null)
                        || string.Equals(Environment.GetEnvironmentVariable("STEPDISTILL_MALLOC"), "default", StringComparison.OrdinalIgnoreCase);
        var glibc = OperatingSystem.IsLinux() && File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("libc.so.6", StringComparison.Ordinal);
        Assert.Equal(glibc && !userChose, GlibcMallocSettings.Applied);
    }

    [Fact]
    public void Releasing_free_memory_reaches_glibc_where_it_is_loaded()
    {
        NativeTorch.EnsureLoaded();
        var glibc = OperatingSystem.IsLinux() && File.ReadAllText("/proc/self/maps").Contains("libc.so.6", StringComparison.Ordinal);
        Assert.Equal(glibc, GlibcMallocSettings.ReleaseFreeMemory());
    }
}
