using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// The performance figures of the issue in one run, as text or <c>--json</c>: per preset, training tokens/s and its
/// fraction of the fp32 matmul rate by <see cref="T5FlopCount"/>, greedy and beam decoding tokens/s with and without the
/// KV cache; closed-set likelihood scoring rows/s (the shared-prefix scorer, the scorer it replaced, and greedy
/// generation of the label); the ML.NET <c>Transform</c> path against the raw batched predictor on the same student;
/// and the peak RSS of training against the estimate (the <c>memory</c> benchmark, in a child process). Every figure is
/// the median of <c>--repeats</c> runs with its spread and the matmul rate measured around each run.
/// Options: --presets tiny,t5-small --repeats 5 --batch 8 --source 128 --target 32 --score-batch 32 --score-source 64
/// --transform-rows 256 --memory-preset t5-small --memory-steps 12 --skip-memory --skip-transform --json.
/// </summary>
internal sealed class BenchSuite : IBenchmark
{
    public string Name => "bench";

    public string Description => "All performance figures (training, decoding, scoring, ML.NET Transform, training memory), medians with spread, JSON with --json";

    public Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var device = T5Devices.Default;
        var presets = Options.Get(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var repeats = Options.Int(args, "--repeats", 5);
        var batch = Options.Int(args, "--batch", 8);
        var source = Options.Int(args, "--source", 128);
        var target = Options.Int(args, "--target", 32);
        var json = args.Contains("--json");
        var loadAtStart = MachineDescription.LoadAverage();
        var figures = new List<Figure>();
        void Add(Figure figure)
        {
            figures.Add(figure);
            if (!json)
            {
                Console.WriteLine(Describe(figure));
            }
        }

        var machine = MachineDescription.Current(device);
        if (!json)
        {
            Console.WriteLine($"{machine.Cpu}, {machine.LogicalCores} logical cores, {machine.TorchThreads} torch threads, {machine.MemoryGib} GiB; {machine.Os}; {machine.Dotnet}; TorchSharp {machine.TorchSharp}; device {machine.Device}");
            Console.WriteLine($"load average {string.Join(' ', loadAtStart)}; medians of {repeats} runs [min..max]; matmul = fp32 2048^3 GFLOP/s measured around each run");
        }

        foreach (var preset in presets)
        {
            ModelFigures(preset, device, batch, source, target, repeats).ForEach(Add);
        }

        ScoringFigures(device, Options.Int(args, "--score-batch", 32), Options.Int(args, "--score-source", 64), repeats).ForEach(Add);
        if (!args.Contains("--skip-transform"))
        {
            TransformFigures(device, Options.Int(args, "--transform-rows", 256), repeats).ForEach(Add);
        }

        JsonElement? memory = null;
        if (!args.Contains("--skip-memory"))
        {
            memory = MemoryInChildProcess(Options.Get(args, "--memory-preset", "t5-small"), batch, Options.Int(args, "--memory-steps", 12));
            if (!json && memory is { } m)
            {
                Console.WriteLine($"training memory ({m.GetProperty("preset")}, batch {m.GetProperty("batch")}, {m.GetProperty("steps")} steps, own process): peak RSS {m.GetProperty("peak_rss_gib")} GiB, estimate {m.GetProperty("estimate_gib")} GiB (weights+grads+AdamW {m.GetProperty("weights_grads_adamw_gib")} + activations {m.GetProperty("activations_estimate_gib")}), peak/estimate {m.GetProperty("peak_over_estimate")}");
            }
        }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                machine,
                load_average_start = loadAtStart,
                load_average_end = MachineDescription.LoadAverage(),
                settings = new { presets, repeats, batch, source, target },
                figures,
                training_memory = memory,
            }, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"load average at the end {string.Join(' ', MachineDescription.LoadAverage())}");
        }

        return Task.FromResult(0);
    }

    private static List<Figure> ModelFigures(string preset, Device device, int batch, int source, int target, int repeats)
    {
        using var workload = new TrainingStepWorkload(preset, device, batch, source, target);
        var model = workload.Model;
        var (inputs, mask) = (workload.Inputs, workload.Mask);
        var figures = new List<Figure>();
        figures.Add(Figure.Measure($"{preset} training step", "tokens/s", repeats, device, () => Figure.Time(workload.Step),
            workload.FlopsPerToken, $"batch {batch}, {source} source + {target} target tokens, forward + backward + AdamW"));

        model.eval();
        foreach (var (beams, useCache) in new[] { (1, true), (1, false), (3, true), (3, false) })
        {
            var options = new T5GenerationOptions { MaxNewTokens = target, NumBeams = beams, UseCache = useCache };
            var kind = beams == 1 ? "greedy" : $"beam {beams}";
            figures.Add(Figure.Measure($"{preset} {kind} decoding, {(useCache ? "with" : "without")} KV cache", "new tokens/s", repeats, device, () => Figure.Time(() =>
            {
                using var scope = NewDisposeScope();
                // Positions decoded: every row until the longest one stops (finished rows still run, padded).
                return model.Generate(inputs, mask, options).Sequences.Sum(s => s.Length - 1.0);
            }), note: $"batch {batch}, {source} source tokens, up to {target} new tokens per row (random weights)"));
        }

        return figures;
    }

    private static List<Figure> ScoringFigures(Device device, int batch, int source, int repeats)
    {
        manual_seed(99);
        var config = T5Presets.Get("tiny", vocabSize: 32128);
        using var model = new T5ForConditionalGeneration(config).To(device);
        model.eval();
        using var inputs = randint(2, config.VocabSize, [batch, source], dtype: int64, device: device);
        using var mask = ones_like(inputs);
        var figures = new List<Figure>();
        var sets = new (string Name, long[][] Candidates)[]
        {
            ("3 one-token labels (NLI)", [[101, 1], [202, 1], [303, 1]]),
            ("5 choices of 2-6 tokens (CQA)", [[11, 12, 1], [21, 22, 23, 24, 1], [31, 1], [41, 42, 43, 44, 45, 1], [51, 52, 53, 1]]),
        };
        foreach (var (name, candidates) in sets)
        {
            var length = candidates.Max(c => c.Length);
            var flat = candidates.SelectMany(c => c.Concat(Enumerable.Repeat(T5ForConditionalGeneration.IgnoreIndex, length - c.Length))).ToArray();
            using var ids = tensor(flat, candidates.Length, length);
            figures.Add(Figure.Measure($"tiny likelihood scoring, {name}, shared first position", "rows/s", repeats, device,
                () => Figure.Time(() => { model.ScoreCandidates(inputs, mask, ids); return batch; }), note: $"batch {batch}, {source} source tokens"));
            figures.Add(Figure.Measure($"tiny likelihood scoring, {name}, encoder output repeated per candidate (before)", "rows/s", repeats, device,
                () => Figure.Time(() => { model.ScoreCandidatesByRepeating(inputs, mask, ids); return batch; }), note: $"batch {batch}, {source} source tokens"));
            if (candidates.All(c => c.Length == 2))
            {
                // ScoreAggregation.FirstToken: the candidates cut to their first token, read from the first decoder step.
                using var firstTokens = ids[.., ..1].contiguous();
                figures.Add(Figure.Measure($"tiny likelihood scoring, {name}, first token only (ScoreAggregation.FirstToken)", "rows/s", repeats, device,
                    () => Figure.Time(() => { model.ScoreCandidates(inputs, mask, firstTokens); return batch; }), note: $"batch {batch}, {source} source tokens"));
            }

            var generation = new T5GenerationOptions { MaxNewTokens = length };
            figures.Add(Figure.Measure($"tiny greedy generation of the label, {name}", "rows/s", repeats, device,
                () => Figure.Time(() => { using var scope = NewDisposeScope(); model.Generate(inputs, mask, generation); return batch; }),
                note: $"batch {batch}, up to {length} new tokens (what scoring replaces)"));
        }

        return figures;
    }

    /// <summary>
    /// A tiny student trained a few steps on e-SNLI (three labels), then the same test rows answered through
    /// <c>Transform</c> + a cursor over <c>Score</c>, and through the predictor the transformer calls, in batches of 32.
    /// </summary>
    private static List<Figure> TransformFigures(Device device, int rowCount, int repeats)
    {
        var dataset = TaskDataset.Open(Path.Combine(Options.RepoRoot(), "datasets", "esnli"));
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.Read(new MLContext(), dataset, "valid").Take(64).ToArray();
        var test = AnnotatedSplit.Read(new MLContext(), dataset, "test").Take(rowCount).ToArray();
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Labels = dataset.Schema.Labels!.ToArray(),
            Student = "tiny",
            MaxSteps = 4,
            BatchSize = 16,
            MaxInputLength = 128,
            MaxTargetLength = 64,
            Seed = 1,
            Device = device.ToString(),
        };
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(AnnotatedSplit.ToDataView(ml, train));
        var testView = AnnotatedSplit.ToDataView(ml, test);
        var figures = new List<Figure>();
        var transform = Figure.Measure("ML.NET Transform (cursor over Score), tiny e-SNLI student", "rows/s", repeats, device, () => Figure.Time(() =>
        {
            var scored = student.Transform(testView);
            var column = scored.Schema["Score"];
            using var cursor = scored.GetRowCursor([column]);
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var score = default(VBuffer<float>);
            var rows = 0;
            while (cursor.MoveNext())
            {
                getter(ref score);
                rows++;
            }

            return rows;
        }), note: $"{test.Length} test rows");
        figures.Add(transform);

        // A cursor set of two over a cached view, each cursor moved on its own thread (one torch thread each).
        var cached = ml.Data.Cache(testView);
        figures.Add(Figure.Measure("ML.NET Transform, cursor set of 2 on two threads, same student", "rows/s", repeats, device, () => Figure.Time(() =>
        {
            var scored = student.Transform(cached);
            var column = scored.Schema["Score"];
            var cursors = scored.GetRowCursorSet([column], 2);
            var counts = new int[cursors.Length];
            var threads = cursors.Select((cursor, i) => new Thread(() =>
            {
                using (cursor)
                {
                    var getter = cursor.GetGetter<VBuffer<float>>(column);
                    var score = default(VBuffer<float>);
                    while (cursor.MoveNext())
                    {
                        getter(ref score);
                        counts[i]++;
                    }
                }
            })).ToArray();
            Array.ForEach(threads, t => t.Start());
            Array.ForEach(threads, t => t.Join());
            return counts.Sum();
        }), note: $"{test.Length} test rows, {Environment.ProcessorCount} logical cores"));
        const int chunk = 32;
        var raw = Figure.Measure("raw batched predictor (batches of 32), same student", "rows/s", repeats, device, () => Figure.Time(() =>
        {
            for (var start = 0; start < test.Length; start += chunk)
            {
                var rows = test.Skip(start).Take(chunk).Select(r => r.Input).ToArray();
                student.Predictor.Answer(rows, null, withRationale: false);
            }

            return test.Length;
        }), note: $"{test.Length} test rows");
        figures.Add(raw);
        figures.Add(new Figure("ML.NET Transform as a fraction of the raw batched rate", "fraction", transform.Median / raw.Median,
            transform.Min / raw.Max, transform.Max / raw.Min, repeats, raw.MatmulGflops, null, null, MachineDescription.LoadAverage(),
            "median over median; spread from the extremes; target >= 0.8"));
        return figures;
    }

    private static JsonElement? MemoryInChildProcess(string preset, int batch, int steps)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["memory", "--preset", preset, "--batch", batch.ToString(CultureInfo.InvariantCulture), "--steps", steps.ToString(CultureInfo.InvariantCulture), "--json"])
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        return child.ExitCode == 0 && line is not null ? JsonDocument.Parse(line).RootElement.Clone() : null;
    }

    private static string Describe(Figure f) =>
        FormattableString.Invariant($"{f.Name}: {f.Median:F1} {f.Unit} [{f.Min:F1}..{f.Max:F1}]") +
        (f.FractionOfMatmul is { } fraction ? FormattableString.Invariant($", {f.Median * f.MatmulFlopsPerUnit!.Value / 1e9:F1} GFLOP/s = {fraction:P1} of matmul") : "") +
        FormattableString.Invariant($" (matmul {f.MatmulGflops:F0} GFLOP/s; load {string.Join(' ', f.LoadAverage)})") + (f.Note is null ? "" : $"; {f.Note}");
}
