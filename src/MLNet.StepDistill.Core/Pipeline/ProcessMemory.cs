namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// This process's resident memory from <c>/proc/self/status</c> (Linux): now, and the kernel's high-water mark. The
/// benchmarks and the experiment and sweep reports (peak memory of the runs) read it here.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Resident set size now, in bytes (0 where /proc is missing).</summary>
    public static long Resident => Read("VmRSS:");

    /// <summary>The peak resident set size of the process so far (VmHWM), in bytes.</summary>
    public static long PeakResident => Read("VmHWM:");

    /// <summary>Anonymous resident memory (heap, tensors; not mapped files such as libtorch's code), in bytes.</summary>
    public static long AnonymousResident => Read("RssAnon:");

    private static long Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var kb = line[key.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
