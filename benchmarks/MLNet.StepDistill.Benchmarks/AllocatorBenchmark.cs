using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.StepDistill.Diagnostics;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Training speed and peak memory together, per glibc malloc setting. malloc settings are process-wide and fixed once
/// the heap is in use, so every (setting, preset) pair runs in a fresh child process: the <c>bench</c> training step
/// (<see cref="TrainingStepWorkload"/>: batch 8, 128 source + 32 target tokens, one torch thread as set by the caller)
/// for <c>--steps</c> steps, reporting the tokens/s of the steps after the first, their tokens per CPU second (user +
/// system time of the process: what a shared machine's load does not stretch; the system share is mostly page faults
/// and the zeroing of fresh pages), and the kernel's high-water mark (VmHWM) at the end. Settings run round-robin, <c>--repeats</c> times, so machine noise spreads over all of them;
/// /proc/loadavg is recorded with every child. A setting is <c>library</c> (what <see cref="GlibcMallocSettings"/>
/// applies), <c>glibc</c> (<c>STEPDISTILL_MALLOC=default</c>: glibc's own defaults), or glibc's environment
/// variables joined by '+': <c>mmap=1M+trim=2M+arena=2</c> sets MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ and
/// MALLOC_ARENA_MAX (<c>top=</c> MALLOC_TOP_PAD_, <c>mmapmax=0</c> MALLOC_MMAP_MAX_: 0 maps nothing on its own, every block comes from the heaps, <c>hugetlb=1</c> GLIBC_TUNABLES=glibc.malloc.hugetlb=1: transparent huge pages for malloc's memory); <c>+step-trim</c> also calls <c>malloc_trim(0)</c> after every step
/// (the previous release's policy), <c>+trim-free=256M</c> only when the resident size after a step exceeds the resident
/// size right after the last trim by that much (<see cref="StepTrimPolicy"/>, measured from the trim: the previous
/// round's policy), <c>+trim-grown=256M</c> only when it exceeds the resident size after the first step after the last
/// trim by that much (the library's policy, measured from that step); <c>library</c> also serves every buffer from the
/// heap while the workload lives (<see cref="TrainingStepMemory.BeginTraining"/>), as the trainer does; <c>+keep-garbage</c> leaves each step's finalizable garbage to
/// the finalizer instead of freeing it after the step (<see cref="TrainingStepMemory"/>: the code before that change). Each child also reports its minor page faults
/// per timed step, how many of its steps trimmed, and its resident size after every step.
/// Options: --settings library,glibc,mmap=32M+trim=64M+arena=2+step-trim --presets tiny,t5-small --repeats 3
/// --steps tiny=24,t5-small=8 --batch 8 --source 128 --target 32 --out FILE.json.
/// </summary>
internal sealed class AllocatorBenchmark : IBenchmark
{
    public string Name => "allocator";

    public string Description => "Training tokens/s and peak RSS per glibc malloc setting, each in its own process, round-robin";

    public Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--child"))
        {
            return Task.FromResult(Child(args));
        }

        var settings = Options.Get(args, "--settings", "library,glibc,mmap=32M+trim=64M+arena=2+step-trim").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var presets = Options.Get(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var repeats = Options.Int(args, "--repeats", 3);
        var steps = Options.Get(args, "--steps", "tiny=24,t5-small=8").Split(',').Select(s => s.Split('='))
            .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        var shape = new[] { "--batch", Options.Get(args, "--batch", "8"), "--source", Options.Get(args, "--source", "128"), "--target", Options.Get(args, "--target", "32") };
        Console.WriteLine($"{Environment.ProcessorCount} logical cores; OMP_NUM_THREADS={Environment.GetEnvironmentVariable("OMP_NUM_THREADS") ?? "(unset)"}; " +
            $"settings {string.Join(", ", settings)}; {repeats} repeats; load average {Load()}");

        var runs = new List<Run>();
        for (var repeat = 1; repeat <= repeats; repeat++)
        {
            foreach (var preset in presets)
            {
                foreach (var setting in settings)
                {
                    var run = RunChild(setting, preset, steps.GetValueOrDefault(preset, 8), shape) with { Repeat = repeat };
                    runs.Add(run);
                    Summarise(runs, settings, presets, repeats, args, print: false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  repeat {repeat} {preset,-9} {setting,-28} {run.TokensPerSecond,8:F1} tokens/s  {run.TokensPerCpuSecond,8:F1} tokens/CPU-s (system {run.SystemFractionOfCpu:P0}, {run.MinorFaultsPerStep:F0} faults/step, {run.Trims} trims)  peak RSS {run.PeakRssGib:F3} GiB  (applied {run.LibrarySettingsApplied}; load {run.Load})"));
                }
            }
        }

        Summarise(runs, settings, presets, repeats, args, print: true);
        return Task.FromResult(0);
    }

    /// <summary>Medians and ratios over the runs so far; writes --out (after every child, so a stopped run keeps what it measured).</summary>
    private static void Summarise(List<Run> runs, string[] settings, string[] presets, int repeats, string[] args, bool print)
    {
        var summary = new List<object>();
        if (print)
        {
            Console.WriteLine("== medians over repeats; speed ratio to the first setting from the same repeat's pair, then the median of those ratios");
        }

        foreach (var preset in presets)
        {
            foreach (var setting in settings)
            {
                var mine = runs.Where(r => r.Preset == preset && r.Setting == setting && runs.Any(b => b.Preset == preset && b.Setting == settings[0] && b.Repeat == r.Repeat)).ToArray();
                if (mine.Length == 0)
                {
                    continue;
                }

                Run Pair(Run r) => runs.Single(b => b.Preset == preset && b.Setting == settings[0] && b.Repeat == r.Repeat);
                var ratios = mine.Select(r => r.TokensPerSecond / Pair(r).TokensPerSecond).ToArray();
                var cpuRatios = mine.Select(r => r.TokensPerCpuSecond / Pair(r).TokensPerCpuSecond).ToArray();
                var row = new
                {
                    preset,
                    setting,
                    tokens_per_second_median = Math.Round(Median(mine.Select(r => r.TokensPerSecond)), 1),
                    tokens_per_second = mine.Select(r => r.TokensPerSecond).ToArray(),
                    speed_ratio_to_first_setting_median = Math.Round(Median(ratios), 3),
                    tokens_per_cpu_second_median = Math.Round(Median(mine.Select(r => r.TokensPerCpuSecond)), 1),
                    tokens_per_cpu_second = mine.Select(r => r.TokensPerCpuSecond).ToArray(),
                    cpu_speed_ratio_to_first_setting_median = Math.Round(Median(cpuRatios), 3),
                    system_fraction_of_cpu_median = Math.Round(Median(mine.Select(r => r.SystemFractionOfCpu)), 3),
                    minor_faults_per_step_median = Math.Round(Median(mine.Select(r => r.MinorFaultsPerStep))),
                    trims_per_step_median = Math.Round(Median(mine.Select(r => (double)r.Trims / (r.Steps - 1))), 3),
                    peak_rss_gib_median = Math.Round(Median(mine.Select(r => r.PeakRssGib)), 3),
                    peak_rss_gib = mine.Select(r => r.PeakRssGib).ToArray(),
                };
                summary.Add(row);
                if (print)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {preset,-9} {setting,-28} {row.tokens_per_second_median,8:F1} tokens/s (x{row.speed_ratio_to_first_setting_median:F2})  {row.tokens_per_cpu_second_median,8:F1} tokens/CPU-s (x{row.cpu_speed_ratio_to_first_setting_median:F2}, system {row.system_fraction_of_cpu_median:P0})  peak RSS {row.peak_rss_gib_median:F3} GiB  [{string.Join(", ", row.tokens_per_second.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}]"));
                }
            }
        }

        if (print)
        {
            Console.WriteLine($"load average at the end {Load()}");
        }

        if (Options.Get(args, "--out", "") is { Length: > 0 } path)
        {
            File.WriteAllText(path, JsonSerializer.Serialize(new
            {
                command = "allocator " + string.Join(' ', args),
                machine = MachineDescription.Current(CPU),
                omp_num_threads = Environment.GetEnvironmentVariable("OMP_NUM_THREADS"),
                settings,
                presets,
                repeats,
                repeats_done = runs.Count == 0 ? 0 : runs.Max(r => r.Repeat),
                summary,
                runs,
                load_average_end = Load(),
            }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
        }
    }

    /// <summary>The environment a setting gives its child.</summary>
    private static Dictionary<string, string> Environment_(string setting)
    {
        var variables = new Dictionary<string, string>();
        if (setting.Split('+')[0] == "glibc")
        {
            variables["STEPDISTILL_MALLOC"] = "default";
        }
        else if (setting.Split('+')[0] != "library")
        {
            foreach (var part in setting.Split('+').Where(p => p != "step-trim" && p != "keep-garbage" && !p.StartsWith("trim-grown=", StringComparison.Ordinal) && !p.StartsWith("trim-free=", StringComparison.Ordinal)))
            {
                var (key, value) = (part.Split('=')[0], Bytes(part.Split('=')[1]));
                if (key == "hugetlb")
                {
                    variables["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=" + value;
                    continue;
                }

                variables[key switch
                {
                    "mmap" => "MALLOC_MMAP_THRESHOLD_",
                    "trim" => "MALLOC_TRIM_THRESHOLD_",
                    "arena" => "MALLOC_ARENA_MAX",
                    "top" => "MALLOC_TOP_PAD_",
                    "mmapmax" => "MALLOC_MMAP_MAX_",
                    _ => throw new ArgumentException($"unknown malloc setting '{key}' in '{setting}'"),
                }] = value;
            }
        }

        return variables;
    }

    private static string Bytes(string value) => value[^1] switch
    {
        'K' => (long.Parse(value[..^1], CultureInfo.InvariantCulture) << 10).ToString(CultureInfo.InvariantCulture),
        'M' => (long.Parse(value[..^1], CultureInfo.InvariantCulture) << 20).ToString(CultureInfo.InvariantCulture),
        'G' => (long.Parse(value[..^1], CultureInfo.InvariantCulture) << 30).ToString(CultureInfo.InvariantCulture),
        _ => value,
    };

    private static Run RunChild(string setting, string preset, int steps, string[] shape)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(AllocatorBenchmark).Assembly.Location);
        }

        foreach (var arg in new[] { "allocator", "--child", "--preset", preset, "--steps", steps.ToString(CultureInfo.InvariantCulture) }.Concat(shape).Concat(TrimSlack(setting) is { } slack ? ["--trim-slack", slack] : [])
            .Concat(setting.Split('+').Any(p => p.StartsWith("trim-free=", StringComparison.Ordinal)) ? ["--trim-from-trim"] : [])
            .Concat(setting.Split('+').Contains("keep-garbage") ? ["--keep-garbage"] : []))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "STEPDISTILL_MALLOC", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "GLIBC_TUNABLES" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment_(setting))
        {
            start.Environment[name] = value;
        }

        var load = Load();
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"child for {setting} / {preset} failed ({child.ExitCode}): {output}");
        }

        var json = JsonDocument.Parse(line).RootElement;
        return new Run(setting, preset, 0, steps, json.GetProperty("tokens_per_second").GetDouble(), json.GetProperty("tokens_per_cpu_second").GetDouble(),
            json.GetProperty("system_fraction_of_cpu").GetDouble(), json.GetProperty("peak_rss_gib").GetDouble(),
            json.GetProperty("rss_after_steps_gib").GetDouble(), json.GetProperty("library_settings_applied").GetBoolean(), $"{load} / {Load()}",
            json.GetProperty("minor_faults_per_step").GetDouble(), json.GetProperty("trims").GetInt32(),
            json.GetProperty("rss_after_each_step_gib").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    /// <summary>The <c>--trim-slack</c> in bytes a setting's child applies after each step, or null for none (what the trainer does).</summary>
    private static string? TrimSlack(string setting)
    {
        var parts = setting.Split('+');
        return parts.Contains("step-trim") ? "0" : parts.FirstOrDefault(p => p.StartsWith("trim-grown=", StringComparison.Ordinal) || p.StartsWith("trim-free=", StringComparison.Ordinal)) is { } grown ? Bytes(grown[(grown.IndexOf('=') + 1)..]) : null;
    }

    /// <summary>One process, one setting (from its environment): the steps, then a JSON line.</summary>
    private static int Child(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var steps = Options.Int(args, "--steps", 8);
        using var workload = new TrainingStepWorkload(Options.Get(args, "--preset", "tiny"), CPU,
            Options.Int(args, "--batch", 8), Options.Int(args, "--source", 128), Options.Int(args, "--target", 32))
        {
            TrimPolicy = Options.Get(args, "--trim-slack", "") is { Length: > 0 } slack ? new StepTrimPolicy(long.Parse(slack, CultureInfo.InvariantCulture), fromTrim: args.Contains("--trim-from-trim")) : null,
            KeepGarbage = args.Contains("--keep-garbage"),
        };
        var policy = workload.TrimPolicy ?? StepTrimPolicy.Library;
        var residentAfter = new List<double>();
        workload.Step();
        residentAfter.Add(Gib(ProcessMemory.Resident));
        var trimsBefore = policy.Trims;
        var self = Process.GetCurrentProcess();
        var (user, system) = (self.UserProcessorTime, self.PrivilegedProcessorTime);
        var faults = ProcessMemory.MinorFaults;
        var clock = Stopwatch.StartNew();
        double tokens = 0;
        for (var step = 1; step < steps; step++)
        {
            tokens += workload.Step();
            residentAfter.Add(Gib(ProcessMemory.Resident));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var (userSeconds, systemSeconds) = ((self.UserProcessorTime - user).TotalSeconds, (self.PrivilegedProcessorTime - system).TotalSeconds);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            tokens_per_second = Math.Round(tokens / seconds, 1),
            tokens_per_cpu_second = Math.Round(tokens / (userSeconds + systemSeconds), 1),
            system_fraction_of_cpu = Math.Round(systemSeconds / (userSeconds + systemSeconds), 3),
            peak_rss_gib = Gib(ProcessMemory.PeakResident),
            rss_after_steps_gib = Gib(ProcessMemory.Resident),
            library_settings_applied = GlibcMallocSettings.Applied,
            minor_faults_per_step = Math.Round((double)(ProcessMemory.MinorFaults - faults) / (steps - 1)),
            trims = policy.Trims - trimsBefore,
            rss_after_each_step_gib = residentAfter,
            torch_threads = get_num_threads(),
        }));
        return 0;
    }

    private static double Gib(long bytes) => Math.Round(bytes / (1024.0 * 1024 * 1024), 3);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Load() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed record Run(string Setting, string Preset, int Repeat, int Steps, double TokensPerSecond, double TokensPerCpuSecond, double SystemFractionOfCpu, double PeakRssGib, double RssAfterStepsGib, bool LibrarySettingsApplied, string Load, double MinorFaultsPerStep, int Trims, double[] RssAfterEachStepGib);
}
