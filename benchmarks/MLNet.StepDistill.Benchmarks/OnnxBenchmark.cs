using System.Diagnostics;
using System.Text.Json;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Export;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// ONNX Runtime against TorchSharp on the same model in the same process: class scoring (rows/s, every row's encoder
/// once, each of --classes candidates scored by likelihood) and greedy generation (new tokens/s with the KV cache), at
/// each --batches size, both runtimes on --threads threads. The model is a preset with fresh seeded weights, exported
/// to a temp folder twice: in the current manifest format (the decoder graph returns each target id's log-probability)
/// and in format 1 (the layout of folders exported before it, byte for byte: logits out, log-softmax in C#), so the
/// scorer's before and after run in the same process as TorchSharp. Each number is the best of --repeats runs; the
/// whole measurement runs --rounds times, each round with its load average.
/// Options: --presets tiny,t5-small  --batches 1,32  --source 64  --target 32  --classes 5  --threads 1  --repeats 3
/// --rounds 1  --out FILE (also write the JSON there).
/// </summary>
internal sealed class OnnxBenchmark : IBenchmark
{
    public string Name => "onnx";

    public string Description => "ONNX Runtime vs TorchSharp: class scoring rows/s and greedy tokens/s, same model, same process";

    public async Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var presets = Options.Get(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var batches = Options.Get(args, "--batches", "1,32").Split(',').Select(int.Parse).ToArray();
        var settings = new Settings(
            Options.Int(args, "--source", 64),
            Options.Int(args, "--target", 32),
            Options.Int(args, "--classes", 5),
            Options.Int(args, "--threads", 1),
            Options.Int(args, "--repeats", 3));
        var rounds = Options.Int(args, "--rounds", 1);
        var output = Options.Get(args, "--out", "");
        set_num_threads(settings.Threads);
        var started = DateTime.UtcNow;
        var loadAtStart = MachineDescription.LoadAverage();
        Console.WriteLine(
            $"CPU, {settings.Threads} thread(s) for both runtimes, source {settings.Source} tokens, {settings.Classes} classes of 2-4 tokens, " +
            $"greedy {settings.Target} new tokens, best of {settings.Repeats}, {rounds} round(s); load average {string.Join(' ', loadAtStart)}");
        var models = presets.Select(p => Models.Export(p, settings.Threads)).ToArray();
        try
        {
            var results = new List<object>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var model in models)
                {
                    foreach (var batch in batches)
                    {
                        results.Add(Measure(model, batch, settings, round));
                    }
                }
            }

            var document = new
            {
                benchmark = "onnx",
                command = "dotnet run -c Release --project benchmarks/MLNet.StepDistill.Benchmarks -- onnx " + string.Join(' ', args),
                started = started.ToString("u"),
                finished = DateTime.UtcNow.ToString("u"),
                machine = MachineDescription.Current(CPU),
                loadAverageAtStart = loadAtStart,
                loadAverageAtEnd = MachineDescription.LoadAverage(),
                settings = new
                {
                    sourceTokens = settings.Source, greedyNewTokens = settings.Target, classes = settings.Classes, threads = settings.Threads,
                    bestOf = settings.Repeats, rounds,
                    onnxFormat1 = "manifest format 1: the decoder returns logits, their log-softmax is taken in C# (folders exported before format 2)",
                    onnx = $"manifest format {OnnxStudentManifest.CurrentFormatVersion}: the decoder graph returns target_log_probs",
                },
                models = models.Select(m => new { preset = m.Preset, parametersMillions = m.ParametersMillions, graphsMegabytes = m.GraphsMegabytes, exportSeconds = m.ExportSeconds }),
                results,
            };
            var json = JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
            if (output.Length > 0)
            {
                await File.WriteAllTextAsync(output, json + "\n");
                Console.WriteLine($"wrote {output}");
            }
            else
            {
                Console.WriteLine(json);
            }
        }
        finally
        {
            foreach (var model in models)
            {
                model.Dispose();
            }
        }

        return 0;
    }

    private static object Measure(Models models, int batch, Settings settings, int round)
    {
        var loadAverage = MachineDescription.LoadAverage();
        var random = new Random(7);
        var candidates = Enumerable.Range(0, settings.Classes).Select(_ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3, 32000)).Append(1).ToArray()).ToArray();
        var source = settings.Source;
        var ids = Enumerable.Range(0, batch * source).Select(i => i % source == source - 1 ? 1L : random.Next(3, 32000)).ToArray();
        var padded = new T5PaddedIds(ids, Enumerable.Repeat(1L, ids.Length).ToArray(), batch, source);
        using var inputs = tensor(ids, batch, source);
        using var mask = ones_like(inputs);
        var width = candidates.Max(c => c.Length);
        using var candidateIds = tensor(candidates.SelectMany(c => c.Select(x => (long)x).Concat(Enumerable.Repeat(-100L, width - c.Length))).ToArray(), settings.Classes, width);
        var perRow = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int[]>)candidates).ToArray();
        var repeats = settings.Repeats;

        var torchScore = Time(() => models.Torch.ScoreCandidates(inputs, mask, candidateIds), repeats);
        var format1Score = Time(() => models.OnnxFormat1.ScoreCandidates(padded, perRow), repeats);
        var onnxScore = Time(() => models.Onnx.ScoreCandidates(padded, perRow), repeats);
        var options = new T5GenerationOptions { MaxNewTokens = settings.Target };
        var torchTokens = 0L;
        var torchGenerate = Time(() => torchTokens = GeneratedPositions(models.Torch.Generate(inputs, mask, options).Sequences), repeats);
        var format1Tokens = 0L;
        var format1Generate = Time(() => format1Tokens = GeneratedPositions(models.OnnxFormat1.Generate(padded, new T5GenerationOptions { MaxNewTokens = settings.Target })), repeats);
        var onnxTokens = 0L;
        var onnxGenerate = Time(() => onnxTokens = GeneratedPositions(models.Onnx.Generate(padded, new T5GenerationOptions { MaxNewTokens = settings.Target })), repeats);

        var scoring = new
        {
            torchSharpRowsPerSecond = Math.Round(batch / torchScore, 1),
            onnxFormat1RowsPerSecond = Math.Round(batch / format1Score, 1),
            onnxRowsPerSecond = Math.Round(batch / onnxScore, 1),
            onnxFormat1VersusTorchSharp = Math.Round(torchScore / format1Score, 2),
            onnxVersusTorchSharp = Math.Round(torchScore / onnxScore, 2),
            onnxVersusOnnxFormat1 = Math.Round(format1Score / onnxScore, 2),
        };
        var greedy = new
        {
            torchSharpTokensPerSecond = Math.Round(torchTokens / torchGenerate, 1),
            onnxFormat1TokensPerSecond = Math.Round(format1Tokens / format1Generate, 1),
            onnxTokensPerSecond = Math.Round(onnxTokens / onnxGenerate, 1),
            onnxVersusTorchSharp = Math.Round(torchGenerate / onnxGenerate * onnxTokens / Math.Max(1, torchTokens), 2),
            tokens = new { torchSharp = torchTokens, onnxFormat1 = format1Tokens, onnx = onnxTokens },
        };
        Console.WriteLine($"round {round}, {models.Preset}, batch {batch,2} (load average {string.Join(' ', loadAverage)}):");
        Console.WriteLine(
            $"  class scoring rows/s   TorchSharp {scoring.torchSharpRowsPerSecond,8:F1}   ONNX format 1 {scoring.onnxFormat1RowsPerSecond,8:F1} ({scoring.onnxFormat1VersusTorchSharp:F2}x)   " +
            $"ONNX {scoring.onnxRowsPerSecond,8:F1} ({scoring.onnxVersusTorchSharp:F2}x; {scoring.onnxVersusOnnxFormat1:F2}x format 1)");
        Console.WriteLine(
            $"  greedy tokens/s        TorchSharp {greedy.torchSharpTokensPerSecond,8:F1}   ONNX format 1 {greedy.onnxFormat1TokensPerSecond,8:F1}          " +
            $"ONNX {greedy.onnxTokensPerSecond,8:F1} ({greedy.onnxVersusTorchSharp:F2}x; {torchTokens} vs {onnxTokens} tokens)");
        return new { round, preset = models.Preset, batch, loadAverage, classScoring = scoring, greedyDecoding = greedy };
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

    private sealed record Settings(int Source, int Target, int Classes, int Threads, int Repeats);

    /// <summary>One preset in TorchSharp (fresh seeded weights) and its two ONNX exports, loaded; the folders are removed on dispose.</summary>
    private sealed class Models : IDisposable
    {
        private readonly string folder;

        private Models(string preset, T5ForConditionalGeneration torch, string folder, OnnxT5Model onnx, OnnxT5Model onnxFormat1, double exportSeconds)
        {
            Preset = preset;
            Torch = torch;
            this.folder = folder;
            Onnx = onnx;
            OnnxFormat1 = onnxFormat1;
            ExportSeconds = Math.Round(exportSeconds, 1);
            ParametersMillions = Math.Round(torch.parameters().Sum(p => p.numel()) / 1e6, 1);
            GraphsMegabytes = Math.Round(Directory.GetFiles(Path.Combine(folder, "current")).Sum(f => new FileInfo(f).Length) / 1048576.0);
        }

        public string Preset { get; }

        public T5ForConditionalGeneration Torch { get; }

        public OnnxT5Model Onnx { get; }

        public OnnxT5Model OnnxFormat1 { get; }

        public double ExportSeconds { get; }

        public double ParametersMillions { get; }

        public double GraphsMegabytes { get; }

        public static Models Export(string preset, int threads)
        {
            manual_seed(1234);
            var config = T5Presets.Get(preset, vocabSize: 32128);
            var tokenizer = T5Tokenizer.FromFile(Path.Combine(AppContext.BaseDirectory, "spiece.model"), config.VocabSize);
            var model = new T5ForConditionalGeneration(config, tokenizer);
            model.eval();
            var folder = Directory.CreateTempSubdirectory("stepdistill-onnx-bench-").FullName;
            var clock = Stopwatch.StartNew();
            model.ExportOnnx(Path.Combine(folder, "current"));
            var exportSeconds = clock.Elapsed.TotalSeconds;
            T5OnnxExport.Export(model, Path.Combine(folder, "format1"), student: null, OnnxStudentManifest.OldestFormatVersion);
            var options = new OnnxRuntimeOptions { Threads = threads };
            var models = new Models(preset, model, folder, OnnxT5Model.Load(Path.Combine(folder, "current"), options), OnnxT5Model.Load(Path.Combine(folder, "format1"), options), exportSeconds);
            Console.WriteLine($"{preset}: {models.ParametersMillions:F1}M parameters, exported in {models.ExportSeconds:F1} s, {models.GraphsMegabytes:F0} MB of graphs");
            return models;
        }

        public void Dispose()
        {
            Onnx.Dispose();
            OnnxFormat1.Dispose();
            Torch.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }
}
