using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Seconds of a 20-step step-by-step fit of the tiny student (e-SNLI valid rows annotated by the recorded teacher,
/// batch 16, 128 input / 64 target tokens: the CLI's train defaults) with each thread setting, each fit in a fresh
/// process (libtorch's pools are per process). Two conditions in one run: the machine as it is, then with
/// <c>--load N</c> busy processes this benchmark starts (<c>yes &gt; /dev/null</c>). Configurations run round-robin,
/// <c>--repeats</c> times, so machine noise spreads over all of them; /proc/loadavg is printed around each pass.
/// A fit still running after <c>--cap</c> seconds is stopped and counted as that many seconds (printed as "&gt;= cap"):
/// the ratios are then lower bounds, and a collapsed configuration does not hold the shared machine for minutes.
/// Options: --configs 1,2,0 (0 = libtorch's own default; "default" = the library's)  --repeats 3  --steps 20  --load 2  --rows 64  --cap 120
/// --conditions both|as-is|loaded.
/// </summary>
internal sealed class ThreadsBenchmark : IBenchmark
{
    public string Name => "threads";

    public string Description => "20-step tiny-student fit per thread setting (fresh process each), idle and with busy processes loading the cores";

    public Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--child"))
        {
            return Task.FromResult(Child(args));
        }

        var configs = Option(args, "--configs", "1,2,0").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var repeats = int.Parse(Option(args, "--repeats", "3"), CultureInfo.InvariantCulture);
        var load = int.Parse(Option(args, "--load", "2"), CultureInfo.InvariantCulture);
        var cap = TimeSpan.FromSeconds(double.Parse(Option(args, "--cap", "120"), CultureInfo.InvariantCulture));
        var passThrough = new[] { "--steps", Option(args, "--steps", "20"), "--rows", Option(args, "--rows", "64") };

        Console.WriteLine($"{Environment.ProcessorCount} logical cores; OMP_NUM_THREADS={Environment.GetEnvironmentVariable(TorchThreads.EnvironmentVariable) ?? "(unset)"}; configs {string.Join(", ", configs.Select(Describe))}; {repeats} repeats; cap {cap.TotalSeconds:F0} s a fit");
        var results = new Dictionary<(string Condition, string Config), List<double>>();
        var conditions = Option(args, "--conditions", "both");
        foreach (var (condition, busy) in new[] { ("as is", 0), ($"+{load} busy", load) })
        {
            if ((conditions == "as-is" && busy > 0) || (conditions == "loaded" && busy == 0))
            {
                continue;
            }

            var loaders = Enumerable.Range(0, busy).Select(_ => StartBusyProcess()).ToList();
            try
            {
                Console.WriteLine($"== {condition}: loadavg {LoadAverage()}");
                for (var repeat = 1; repeat <= repeats; repeat++)
                {
                    foreach (var config in configs)
                    {
                        var (seconds, detail) = RunChild(config, passThrough, cap);
                        var shown = detail is null ? $">= {seconds:F0} s (stopped at the cap)" : $"{seconds,8:F2} s  ({detail})";
                        Console.WriteLine($"  repeat {repeat} {Describe(config),-22} {shown}  loadavg {LoadAverage()}");
                        var key = (condition, config);
                        results.TryAdd(key, []);
                        results[key].Add(seconds);
                    }
                }
            }
            finally
            {
                foreach (var loader in loaders)
                {
                    loader.Kill();
                    loader.Dispose();
                }
            }
        }

        Console.WriteLine("== median seconds (ratio to the first config of the same condition; \">=\": a fit stopped at the cap counts as the cap, so the number is a lower bound)");
        foreach (var condition in results.Keys.Select(k => k.Condition).Distinct())
        {
            var baseline = Median(results[(condition, configs[0])]);
            foreach (var config in configs)
            {
                var all = results[(condition, config)];
                var median = Median(all);
                var capped = all.Any(s => s >= cap.TotalSeconds) ? ">=" : "  ";
                Console.WriteLine($"  {condition,-9} {Describe(config),-22} median {capped}{median,8:F2} s  x{median / baseline,6:F2}  (all: {string.Join(", ", all.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))})");
            }
        }

        return Task.FromResult(0);
    }

    private static string Describe(string config) => config switch
    {
        "0" => "libtorch default (0)",
        "default" => $"library default ({TorchThreads.DefaultNumberOfThreads})",
        _ => $"{config} thread(s)",
    };

    /// <summary>One timed fit in this process; prints "seconds S threads T interop I".</summary>
    private static int Child(string[] args)
    {
        var config = Option(args, "--threads", "default");
        int? threads = config == "default" ? null : int.Parse(config, CultureInfo.InvariantCulture);
        var steps = int.Parse(Option(args, "--steps", "20"), CultureInfo.InvariantCulture);
        var rowCount = int.Parse(Option(args, "--rows", "64"), CultureInfo.InvariantCulture);

        // Threads first, before any torch work: a fresh process per configuration, like a user's run.
        TorchThreads.Apply(threads);
        var ml = new MLContext(seed: 0);
        var (train, labels) = TinyTrainingRows(ml, rowCount);
        var options = TinyFitOptions(labels, steps, threads);
        var clock = Stopwatch.StartNew();
        using (ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train) as IDisposable)
        {
            clock.Stop();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seconds {clock.Elapsed.TotalSeconds:F3} threads {TorchSharp.torch.get_num_threads()} interop {TorchSharp.torch.get_num_interop_threads()}"));
        return 0;
    }

    /// <summary>The rows of the fit this benchmark (and <c>side-by-side</c>) times: <paramref name="rowCount"/> e-SNLI valid rows annotated by the recorded teacher, and the labels.</summary>
    internal static (IDataView Train, string[] Labels) TinyTrainingRows(MLContext ml, int rowCount)
    {
        var dataset = TaskDataset.Open(Path.Combine(RepositoryRoot(), "datasets", "esnli"));
        var examples = dataset.ReadExamples("valid").Take(rowCount).ToArray();
        var raw = TaskDataset.ToDataView(examples, dataset.Schema);
        var teacher = RecordedTeacher.Open(dataset.Manifest, "valid", "palm-540b");
        var annotated = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(dataset.Manifest)).Fit(raw).Transform(raw);
        return (StudentInputs.Create(ml, annotated, dataset.Schema), dataset.Schema.Labels!.ToArray());
    }

    /// <summary>The fit this benchmark (and <c>side-by-side</c>) times: the tiny student, step-by-step, batch 16, 128 input / 64 target tokens (the CLI's train defaults), seed 0.</summary>
    internal static MultiTaskSeq2SeqTrainerOptions TinyFitOptions(string[] labels, int steps, int? threads) => new()
    {
        Labels = labels,
        Method = TrainingMethod.StepByStepTeacher,
        MaxSteps = steps,
        BatchSize = 16,
        MaxInputLength = 128,
        MaxTargetLength = 64,
        Seed = 0,
        NumberOfThreads = threads,
    };

    /// <summary>The fit's seconds and the thread counts it reported, or (cap, null) when it was stopped at the cap.</summary>
    private static (double Seconds, string? Detail) RunChild(string config, string[] passThrough, TimeSpan cap)
    {
        var start = ChildStartInfo();
        foreach (var arg in new[] { "threads", "--child", "--threads", config }.Concat(passThrough))
        {
            start.ArgumentList.Add(arg);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(cap))
        {
            process.Kill();
            process.WaitForExit();
            return (cap.TotalSeconds, null);
        }

        var output = stdout.Result;
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("seconds ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"child for {config} failed ({process.ExitCode}): {output}{stderr.Result}");
        }

        var parts = line.Split(' ');
        return (double.Parse(parts[1], CultureInfo.InvariantCulture), string.Join(' ', parts.Skip(2)));
    }

    /// <summary>This benchmark again: the apphost, or <c>dotnet Benchmarks.dll</c> when started through dotnet.</summary>
    private static ProcessStartInfo ChildStartInfo()
    {
        var host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ThreadsBenchmark).Assembly.Location);
        }

        return start;
    }

    /// <summary>One process that keeps one core busy until killed (exec: the pid is yes itself).</summary>
    private static Process StartBusyProcess() =>
        Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec yes > /dev/null" }, UseShellExecute = false })!;

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNet.StepDistill.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("MLNet.StepDistill.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
