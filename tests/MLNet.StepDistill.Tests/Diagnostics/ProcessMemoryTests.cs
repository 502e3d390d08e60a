using MLNet.StepDistill.Diagnostics;
using Xunit;

namespace MLNet.StepDistill.Tests.Diagnostics;

/// <summary>The process's memory figures that the trim policy, the experiment reports and the benchmarks read.</summary>
public sealed class ProcessMemoryTests
{
    [Fact]
    public void Reads_the_resident_size_its_peak_and_faults_where_proc_exists()
    {
        var hasProc = File.Exists("/proc/self/status");
        var resident = ProcessMemory.Resident;
        Assert.Equal(hasProc, resident > 0);
        if (!hasProc)
        {
            return;
        }

        // The kernel's own page-based figure, read independently of the code under test.
        var statmPages = long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var statm = statmPages * Environment.SystemPageSize;
        Assert.InRange(resident, statm / 2, statm * 2);
        Assert.True(ProcessMemory.PeakResident >= resident - (64L << 20), "the high-water mark is at least about the resident size");
        Assert.InRange(ProcessMemory.AnonymousResident, 1, resident);
        Assert.True(ProcessMemory.MinorFaults > 0);
    }
}
