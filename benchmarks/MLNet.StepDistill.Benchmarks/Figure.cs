using System.Diagnostics;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// One benchmark figure: the median of repeated runs with their spread, the fp32 matmul rate measured around each run
/// (interleaved, so a load change moves both), and the fraction of that rate the figure's matmul FLOPs reach.
/// </summary>
internal sealed record Figure(
    string Name,
    string Unit,
    double Median,
    double Min,
    double Max,
    int Runs,
    double MatmulGflops,
    double? MatmulFlopsPerUnit,
    double? FractionOfMatmul,
    double[] LoadAverage,
    string? Note = null)
{
    /// <summary>
    /// Runs <paramref name="once"/> (which returns units done and seconds taken) once to warm up, then
    /// <paramref name="repeats"/> times, each between two matmul probes.
    /// </summary>
    public static Figure Measure(string name, string unit, int repeats, Device device, Func<(double Units, double Seconds)> once, double? flopsPerUnit = null, string? note = null)
    {
        once();
        var rates = new double[repeats];
        var matmul = new double[repeats];
        var fractions = new double[repeats];
        for (var r = 0; r < repeats; r++)
        {
            var before = MatmulGflopsNow(device);
            var (units, seconds) = once();
            var after = MatmulGflopsNow(device);
            rates[r] = units / seconds;
            matmul[r] = (before + after) / 2;
            fractions[r] = flopsPerUnit is { } f ? rates[r] * f / (matmul[r] * 1e9) : double.NaN;
        }

        return new Figure(name, unit, MedianOf(rates), rates.Min(), rates.Max(), repeats, MedianOf(matmul), flopsPerUnit,
            flopsPerUnit is null ? null : MedianOf(fractions), MachineDescription.LoadAverage(), note);
    }

    /// <summary>Times one call.</summary>
    public static (double Units, double Seconds) Time(Func<double> work)
    {
        var clock = Stopwatch.StartNew();
        var units = work();
        return (units, clock.Elapsed.TotalSeconds);
    }

    /// <summary>fp32 GFLOP/s of one 2048 x 2048 x 2048 product (after the first call has warmed up).</summary>
    public static double MatmulGflopsNow(Device device)
    {
        probeA ??= randn(2048, 2048, device: device).DetachFromDisposeScope();
        probeB ??= randn(2048, 2048, device: device).DetachFromDisposeScope();
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        _ = probeA.matmul(probeB)[0, 0].item<float>();

        return 2.0 * 2048 * 2048 * 2048 / clock.Elapsed.TotalSeconds / 1e9;
    }

    public static double MedianOf(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static Tensor? probeA;
    private static Tensor? probeB;
}
