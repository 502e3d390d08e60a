using System.Diagnostics;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.T5.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// ONNX Runtime against TorchSharp on the same model in the same process: class scoring (rows/s, every row's encoder
/// once, each of --classes candidates scored by likelihood) and greedy generation (new tokens/s with the KV cache), at
/// each --batches size, both runtimes on --threads threads. The model is a preset with fresh seeded weights, exported
/// to a temp folder. Each number is the best of --repeats runs.
/// Options: --presets tiny,t5-small  --batches 1,32  --source 64  --target 32  --classes 5  --threads 1  --repeats 3.
/// </summary>
internal sealed class OnnxBenchmark : IBenchmark
{
    public string Name => "onnx";

    public string Description => "ONNX Runtime vs TorchSharp: class scoring rows/s and greedy tokens/s, same model, same process";

    public Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var presets = Option(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var batches = Option(args, "--batches", "1,32").Split(',').Select(int.Parse).ToArray();
        var source = int.Parse(Option(args, "--source", "64"));
        var target = int.Parse(Option(args, "--target", "32"));
        var classes = int.Parse(Option(args, "--classes", "5"));
        var threads = int.Parse(Option(args, "--threads", "1"));
        var repeats = int.Parse(Option(args, "--repeats", "3"));
        set_num_threads(threads);
        Console.WriteLine($"CPU, {threads} thread(s) for both runtimes, source {source} tokens, {classes} classes of 2-4 tokens, greedy {target} new tokens, best of {repeats}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var preset in presets)
        {
            Run(preset, batches, source, target, classes, threads, repeats);
        }

        return Task.FromResult(0);
    }

    private static void Run(string preset, int[] batches, int source, int target, int classes, int threads, int repeats)
    {
        manual_seed(1234);
        var config = T5Presets.Get(preset, vocabSize: 32128);
        var tokenizer = T5Tokenizer.FromFile(Path.Combine(AppContext.BaseDirectory, "spiece.model"), config.VocabSize);
        using var model = new T5ForConditionalGeneration(config, tokenizer);
        model.eval();
        var folder = Directory.CreateTempSubdirectory("stepdistill-onnx-bench-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            model.ExportOnnx(folder);
            var export = clock.Elapsed.TotalSeconds;
            using var onnx = OnnxT5Model.Load(folder, new OnnxRuntimeOptions { Threads = threads });
            var size = Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length) / 1048576.0;
            Console.WriteLine($"{preset}: {model.parameters().Sum(p => p.numel()) / 1e6:F1}M parameters, exported in {export:F1} s, {size:F0} MB of graphs");
            var random = new Random(7);
            var candidates = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3, 32000)).Append(1).ToArray()).ToArray();
            foreach (var batch in batches)
            {
                var ids = Enumerable.Range(0, batch * source).Select(i => i % source == source - 1 ? 1L : random.Next(3, 32000)).ToArray();
                var padded = new T5PaddedIds(ids, Enumerable.Repeat(1L, ids.Length).ToArray(), batch, source);
                using var inputs = tensor(ids, batch, source);
                using var mask = ones_like(inputs);
                var width = candidates.Max(c => c.Length);
                using var candidateIds = tensor(candidates.SelectMany(c => c.Select(x => (long)x).Concat(Enumerable.Repeat(-100L, width - c.Length))).ToArray(), classes, width);
                var perRow = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int[]>)candidates).ToArray();

                var torchScore = Time(() => model.ScoreCandidates(inputs, mask, candidateIds), repeats);
                var onnxScore = Time(() => onnx.ScoreCandidates(padded, perRow), repeats);
                var options = new T5GenerationOptions { MaxNewTokens = target };
                var torchTokens = 0L;
                var torchGenerate = Time(() => torchTokens = GeneratedPositions(model.Generate(inputs, mask, options).Sequences), repeats);
                var onnxTokens = 0L;
                var onnxGenerate = Time(() => onnxTokens = GeneratedPositions(onnx.Generate(padded, new OnnxGenerationOptions { MaxNewTokens = target })), repeats);
                Console.WriteLine($"  batch {batch,2}: class scoring  TorchSharp {batch / torchScore,8:F1} rows/s   ONNX Runtime {batch / onnxScore,8:F1} rows/s   ({torchScore / onnxScore:F2}x)");
                Console.WriteLine($"            greedy decoding TorchSharp {torchTokens / torchGenerate,8:F1} tok/s    ONNX Runtime {onnxTokens / onnxGenerate,8:F1} tok/s    ({torchGenerate / onnxGenerate * onnxTokens / Math.Max(1, torchTokens):F2}x; {torchTokens} vs {onnxTokens} tokens)");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Decoder positions produced (start token excluded; rows that finished early still count their padded steps, as both runtimes compute them).</summary>
    private static long GeneratedPositions(long[][] sequences) => sequences.Sum(s => s.Length - 1L);

    private static double Time(Action action, int repeats)
    {
        action();
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
