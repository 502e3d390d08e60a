namespace MLNet.StepDistill.Diagnostics;

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

    /// <summary>Minor page faults of the process so far (field 10 of <c>/proc/self/stat</c>; 0 where /proc is missing).</summary>
    public static long MinorFaults
    {
        get
        {
            const string path = "/proc/self/stat";
            if (!File.Exists(path))
            {
                return 0;
            }

            // The command name (field 2) is in parentheses and may hold spaces; the fields after it are plain.
            var text = File.ReadAllText(path);
            var after = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(after[7], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

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
