using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Diagnostics;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Peak memory of training through the public trainer, as <c>stepdistill train</c> does (step-by-step on a dataset's
/// annotated train split, max input 128 and target 64 tokens), against <see cref="TrainingMemoryEstimate"/>. Run in its
/// own process so nothing else has touched the heap: the peak is the kernel's high-water mark (VmHWM). After every step
/// it records the resident size and the live tensors (TorchSharp's count) to show growth or leaks.
/// Options: --dataset datasets/cqa --preset t5-small --batch 8 --steps 12 --fraction 0.05 --on-thread (train on a thread of its own, as experiments do) --json.
/// </summary>
internal sealed class TrainingMemoryBenchmark : IBenchmark
{
    public string Name => "memory";

    public string Description => "Peak RSS of training (t5-small, batch 8, step-by-step) against weights + grads + AdamW + activations";

    public Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--on-thread"))
        {
            // As `experiment` and `sweep` train: on a thread of their own, so malloc serves it from another arena.
            var code = 0;
            var thread = new Thread(() => code = Measure(args)) { Name = "memory benchmark training" };
            thread.Start();
            thread.Join();
            return Task.FromResult(code);
        }

        return Task.FromResult(Measure(args));
    }

    private static int Measure(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var dataset = TaskDataset.Open(Options.Get(args, "--dataset", Path.Combine(Options.RepoRoot(), "datasets", "cqa")));
        var preset = Options.Get(args, "--preset", "t5-small");
        var batch = Options.Int(args, "--batch", 8);
        var steps = Options.Int(args, "--steps", 12);
        var fraction = Options.Double(args, "--fraction", 0.05);
        var json = args.Contains("--json");

        var all = AnnotatedSplit.Read(new MLContext(), dataset, dataset.Manifest.Splits.ContainsKey("train") ? "train" : "valid");
        var rows = all.OrderBy(r => r.Id, StringComparer.Ordinal).Where((_, i) => i % Math.Max(1, (int)Math.Round(1 / fraction)) == 0).ToArray();
        var ml = new MLContext(seed: 1);
        var baseline = ProcessMemory.Resident;
        var perStep = new List<(int Step, long Resident, long LiveTensors, double Seconds)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Student = preset,
            BatchSize = batch,
            MaxSteps = steps,
            MaxInputLength = 128,
            MaxTargetLength = 64,
            Seed = 1,
            Progress = new SynchronousProgress<TrainingProgress>(p =>
            {
                perStep.Add((p.Step, ProcessMemory.Resident, torch.Tensor.TotalCount, clock.Elapsed.TotalSeconds));
                clock.Restart();
            }),
        };
        options.ForTask(dataset.Manifest.Family, dataset.Schema);

        using var model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(AnnotatedSplit.ToDataView(ml, rows));
        var peak = ProcessMemory.PeakResident;
        var config = T5Presets.Get(preset, 32128);
        long parameters;
        using (var probe = new T5ForConditionalGeneration(config))
        {
            parameters = probe.parameters().Sum(p => p.numel());
        }

        var state = TrainingMemoryEstimate.OptimizerState(parameters);
        var activations = TrainingMemoryEstimate.Activations(config, batch, 128, 64);
        var result = new
        {
            preset,
            batch,
            steps,
            rows = rows.Length,
            parameters,
            torch_threads = get_num_threads(),
            malloc_settings_applied = GlibcMallocSettings.Applied,
            malloc_env = string.Join(' ', new[] { "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "STEPDISTILL_MALLOC" }
                .Where(v => Environment.GetEnvironmentVariable(v) is not null).Select(v => $"{v}={Environment.GetEnvironmentVariable(v)}")),
            step_seconds_median = Figure.MedianOf(perStep.Skip(1).Select(s => s.Seconds).ToArray()),
            baseline_rss_gib = Gib(baseline),
            peak_rss_gib = Gib(peak),
            weights_grads_adamw_gib = Gib(state),
            activations_estimate_gib = Gib(activations),
            estimate_gib = Gib(state + activations),
            peak_over_estimate = Math.Round((double)peak / (state + activations), 2),
            rss_after_step_gib = perStep.Select(s => Gib(s.Resident)).ToArray(),
            live_tensors_after_step = perStep.Select(s => s.LiveTensors).ToArray(),
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{preset} batch {batch}, {steps} steps on {rows.Length} rows of {dataset.Manifest.Name}: peak RSS {result.peak_rss_gib:F2} GiB " +
                $"(before training {result.baseline_rss_gib:F2}; median step {result.step_seconds_median:F2} s); estimate {result.estimate_gib:F2} GiB = weights+grads+AdamW {result.weights_grads_adamw_gib:F2} + activations {result.activations_estimate_gib:F2}; peak/estimate {result.peak_over_estimate:F2}"));
            Console.WriteLine("RSS after each step (GiB): " + string.Join(' ', result.rss_after_step_gib.Select(g => g.ToString("F2", CultureInfo.InvariantCulture))));
            Console.WriteLine("live tensors after each step: " + string.Join(' ', result.live_tensors_after_step));
        }

        return 0;
    }

    private static double Gib(long bytes) => Math.Round(bytes / (1024.0 * 1024 * 1024), 3);
}
