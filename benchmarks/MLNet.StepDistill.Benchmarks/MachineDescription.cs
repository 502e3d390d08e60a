using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>What the numbers were measured on: CPU, cores, torch threads, memory, OS, runtime versions.</summary>
internal sealed record MachineDescription(string Cpu, int LogicalCores, int TorchThreads, double MemoryGib, string Os, string Dotnet, string TorchSharp, string Device)
{
    public static MachineDescription Current(Device device) => new(
        ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        get_num_threads(),
        Math.Round(double.Parse(ReadField("/proc/meminfo", "MemTotal")?.Split(' ')[0] ?? "0", CultureInfo.InvariantCulture) / (1024 * 1024), 1),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?",
        device.ToString());

    /// <summary>The 1, 5 and 15 minute load averages (<c>/proc/loadavg</c>); empty where unknown.</summary>
    public static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static string? ReadField(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        return File.ReadLines(path)
            .Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault();
    }
}
