using System.Globalization;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>The <c>--latency-ms N</c> option of the loopback-server benchmarks.</summary>
internal static class LatencyOption
{
    /// <summary>The latency in ms (100 when not given), or null after printing what is wrong with the arguments.</summary>
    public static int? Parse(string benchmark, string[] args, int defaultMs = 100)
    {
        var latencyMs = defaultMs;
        for (var i = 0; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (args[i] != "--latency-ms" || !int.TryParse(value, CultureInfo.InvariantCulture, out var ms) || ms < 0)
            {
                Console.Error.WriteLine($"{benchmark}: unknown or malformed option '{string.Join(' ', args[i..Math.Min(i + 2, args.Length)])}' (expected --latency-ms N, N >= 0)");
                return null;
            }

            latencyMs = ms;
        }

        return latencyMs;
    }
}
