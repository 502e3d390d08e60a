using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Diagnostics;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Runs side by side in one process (what <c>experiment --parallel N</c> and <c>sweep --parallel N</c> do): N tiny-student
/// fits (<see cref="ThreadsBenchmark.TinyFitOptions"/>, seeds 1..N, one torch thread each) one after another, then the same N at
/// once on dedicated threads; wall and process CPU seconds of each, the ratio, and whether every fit's last loss is the
/// same both ways (it must be: each run draws from its own generator). Repeated round-robin; /proc/loadavg around each.
/// Options: --runs 2  --steps 150  --rows 64  --repeats 3. Prints JSON.
/// </summary>
internal sealed class SideBySideBenchmark : IBenchmark
{
    public string Name => "side-by-side";

    public string Description => "N tiny-student fits one after another vs side by side in one process: wall, CPU seconds, ratio, same losses";

    public Task<int> RunAsync(string[] args)
    {
        var runs = int.Parse(Option(args, "--runs", "2"), CultureInfo.InvariantCulture);
        var steps = int.Parse(Option(args, "--steps", "150"), CultureInfo.InvariantCulture);
        var rows = int.Parse(Option(args, "--rows", "64"), CultureInfo.InvariantCulture);
        var repeats = int.Parse(Option(args, "--repeats", "3"), CultureInfo.InvariantCulture);

        var ml = new MLContext(seed: 0);
        var (train, labels) = ThreadsBenchmark.TinyTrainingRows(ml, rows);

        double Fit(int seed)
        {
            var last = double.NaN;
            var options = ThreadsBenchmark.TinyFitOptions(labels, steps, threads: 1);
            options.Seed = seed;
            options.Progress = new SynchronousProgress<TrainingProgress>(p => last = p.Loss);
            using (ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train) as IDisposable)
            {
                return last;
            }
        }

        (double Wall, double Cpu, double[] Losses) Timed(Func<double[]> work)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var losses = work();
            clock.Stop();
            process.Refresh();
            return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds, losses);
        }

        double[] OneAfterAnother() => Enumerable.Range(1, runs).Select(Fit).ToArray();

        double[] SideBySide()
        {
            var losses = new double[runs];
            var threads = Enumerable.Range(0, runs).Select(i => new Thread(() => losses[i] = Fit(i + 1)) { IsBackground = true }).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            return losses;
        }

        Fit(1);   // warm-up: JIT, libtorch's first allocations
        var results = new List<object>();
        for (var repeat = 1; repeat <= repeats; repeat++)
        {
            var loadBefore = LoadAverage();
            var sequential = Timed(OneAfterAnother);
            var parallel = Timed(SideBySide);
            var row = new
            {
                repeat,
                one_after_another_wall_s = Math.Round(sequential.Wall, 2),
                one_after_another_cpu_s = Math.Round(sequential.Cpu, 2),
                side_by_side_wall_s = Math.Round(parallel.Wall, 2),
                side_by_side_cpu_s = Math.Round(parallel.Cpu, 2),
                throughput_ratio = Math.Round(sequential.Wall / parallel.Wall, 3),
                same_losses = sequential.Losses.SequenceEqual(parallel.Losses),
                load_before = loadBefore,
                load_after = LoadAverage(),
            };
            Console.Error.WriteLine(JsonSerializer.Serialize(row));
            results.Add(row);
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            benchmark = Name,
            cores = Environment.ProcessorCount,
            runs,
            steps,
            batch = 16,
            torch_threads_per_run = 1,
            peak_rss_gib = Math.Round(ProcessMemory.PeakResident / (1024.0 * 1024 * 1024), 3),
            repeats = results,
        }, new JsonSerializerOptions { WriteIndented = true }));
        return Task.FromResult(0);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
