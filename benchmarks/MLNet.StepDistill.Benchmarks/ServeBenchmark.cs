using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Serving;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Serving over HTTP, dynamic batching against the ML.NET habit of one pooled <c>PredictionEngine</c> per request. One
/// process, one Kestrel server on 127.0.0.1, one model zip loaded once, two endpoints over it: <c>/batched</c> awaits
/// <see cref="StepDistillPredictor{TInput, TOutput}"/>, <c>/pooled</c> takes a <c>PredictionEngine</c> from a
/// <c>Microsoft.Extensions.ObjectPool</c> pool (retaining 64, so none is built while measuring), answers and returns it.
/// For each preset, an e-SNLI student is trained a few steps and saved; then, per repeat, for each number of concurrent
/// clients, both endpoints in turn (the order alternating between repeats) are driven for --seconds by that many
/// clients, each sending its next e-SNLI test row as soon as the previous answer is back. Requests/s, p50 and p95
/// latency per run, the load average around each run, and per client count the medians over repeats and the ratios
/// (batched / pooled) of each repeat: one JSON document on stdout, progress on stderr.
/// Options: --presets tiny,t5-small --clients 1,8,32 --seconds 8 --warmup 2 --repeats 3 --steps 4 --max-batch 16
/// --max-wait-ms 2 --concurrent-batches (default: the predictor's) --out FILE (also write the JSON there).
/// </summary>
internal sealed class ServeBenchmark : IBenchmark
{
    public string Name => "serve";

    public string Description => "HTTP serving: dynamic batching vs a pooled PredictionEngine per request, requests/s and p50/p95 at 1, 8, 32 clients";

    public async Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var presets = Options.Get(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var clientCounts = Options.Get(args, "--clients", "1,8,32").Split(',').Select(int.Parse).ToArray();
        var seconds = Options.Double(args, "--seconds", 8);
        var warmup = Options.Double(args, "--warmup", 2);
        var repeats = Options.Int(args, "--repeats", 3);
        var steps = Options.Int(args, "--steps", 4);
        var batching = new StepDistillPredictorOptions
        {
            MaxBatchSize = Options.Int(args, "--max-batch", 16),
            MaxWait = TimeSpan.FromMilliseconds(Options.Double(args, "--max-wait-ms", 2)),
        };
        batching.MaxConcurrentBatches = Options.Int(args, "--concurrent-batches", batching.MaxConcurrentBatches);
        var output = Options.Get(args, "--out", "");

        // Neither endpoint waits for the thread pool to grow: the pooled one blocks a thread per request in flight.
        ThreadPool.SetMinThreads(Math.Max(64, clientCounts.Max() * 2), Math.Max(64, clientCounts.Max() * 2));
        var started = DateTime.UtcNow;
        var loadAtStart = MachineDescription.LoadAverage();
        var results = new List<object>();
        foreach (var preset in presets)
        {
            results.Add(await RunPreset(preset, steps, clientCounts, seconds, warmup, repeats, batching));
        }

        Console.Error.WriteLine($"failed requests (left out of the figures): {failures}");

        var document = new
        {
            benchmark = "serve",
            command = "dotnet run -c Release --project benchmarks/MLNet.StepDistill.Benchmarks -- serve " + string.Join(' ', args),
            started = started.ToString("u"),
            finished = DateTime.UtcNow.ToString("u"),
            machine = MachineDescription.Current(TorchSharp.torch.CPU),
            loadAverageAtStart = loadAtStart,
            loadAverageAtEnd = MachineDescription.LoadAverage(),
            failedRequests = failures,
            settings = new
            {
                seconds, warmup, repeats, trainingSteps = steps, batching.MaxBatchSize, maxWaitMs = batching.MaxWait.TotalMilliseconds,
                batching.MaxConcurrentBatches, pooledEnginesRetained = 64, threadPoolMinThreads = Math.Max(64, clientCounts.Max() * 2),
                transport = "HTTP/1.1 over Kestrel on 127.0.0.1, clients in the same process",
            },
            presets = results,
        };
        var json = JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        if (output.Length > 0)
        {
            await File.WriteAllTextAsync(output, json + "\n");
        }

        return 0;
    }

    private static async Task<object> RunPreset(string preset, int steps, int[] clientCounts, double seconds, double warmup, int repeats, StepDistillPredictorOptions batching)
    {
        var dataset = TaskDataset.Open(Path.Combine(Options.RepoRoot(), "datasets", "esnli"));
        var folder = Directory.CreateTempSubdirectory("stepdistill-serve-bench-");
        try
        {
            var zip = Path.Combine(folder.FullName, $"esnli-{preset}.zip");
            var clock = Stopwatch.StartNew();
            Train(dataset, preset, steps, zip);
            Console.Error.WriteLine($"{preset}: trained {steps} steps and saved in {clock.Elapsed.TotalSeconds:F1} s; load average {string.Join(' ', MachineDescription.LoadAverage())}");

            var ml = new MLContext();
            using var model = ml.StepDistill().LoadModel(zip, out _);
            var pool = new DefaultObjectPoolProvider { MaximumRetained = 64 }.Create(new EnginePolicy(ml, model));
            using var predictor = new StepDistillPredictor<Row, Answer>(StepDistillServedModel.From(model, zip), batching);
            var bodies = dataset.ReadExamples("test").Take(1024)
                .Select(e => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { premise = e.Inputs[0], hypothesis = e.Inputs[1] }))).ToArray();

            var oneThread = OneThread(ml, model, dataset, repeats);
            Console.Error.WriteLine($"{preset}: one thread, no HTTP: PredictionEngine {oneThread.EngineRowsPerSecond:F1} rows/s, Transform of 16 rows {oneThread.TransformRowsPerSecond:F1} rows/s ({oneThread.TransformRowsPerSecond / oneThread.EngineRowsPerSecond:F2}x)");

            await using var app = Server(predictor, pool);
            await app.StartAsync();
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromMinutes(5) };

            var runs = new List<Run>();
            for (var repeat = 0; repeat < repeats; repeat++)
            {
                foreach (var clients in clientCounts)
                {
                    string[] order = repeat % 2 == 0 ? ["pooled", "batched"] : ["batched", "pooled"];
                    foreach (var endpoint in order)
                    {
                        await Drive(client, endpoint, bodies, clients, warmup);
                        var before = MachineDescription.LoadAverage();
                        var batchesBefore = predictor.Statistics;
                        var (count, elapsed, latencies) = await Drive(client, endpoint, bodies, clients, seconds);
                        var batchesAfter = predictor.Statistics;
                        var run = new Run(repeat, clients, endpoint, count / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.95), count,
                            endpoint == "batched" ? (double)(batchesAfter.Rows - batchesBefore.Rows) / Math.Max(1, batchesAfter.Batches - batchesBefore.Batches) : null,
                            before, MachineDescription.LoadAverage());
                        runs.Add(run);
                        Console.Error.WriteLine($"{preset} repeat {repeat + 1} {clients,2} clients {endpoint,-7}: {run.RequestsPerSecond,7:F1} req/s  p50 {run.P50Ms,8:F1} ms  p95 {run.P95Ms,8:F1} ms" +
                            (run.MeanBatchSize is { } b ? $"  mean batch {b:F1}" : "") + $"  load {string.Join(' ', run.LoadAfter)}");
                    }
                }
            }

            await app.StopAsync();
            var summary = clientCounts.Select(clients =>
            {
                var pooled = runs.Where(r => r.Clients == clients && r.Endpoint == "pooled").OrderBy(r => r.Repeat).ToArray();
                var batched = runs.Where(r => r.Clients == clients && r.Endpoint == "batched").OrderBy(r => r.Repeat).ToArray();
                var throughputRatios = batched.Zip(pooled, (b, p) => b.RequestsPerSecond / p.RequestsPerSecond).ToArray();
                var p95Ratios = batched.Zip(pooled, (b, p) => b.P95Ms / p.P95Ms).ToArray();
                return new
                {
                    clients,
                    pooled = new { requestsPerSecond = Median(pooled.Select(r => r.RequestsPerSecond)), p50Ms = Median(pooled.Select(r => r.P50Ms)), p95Ms = Median(pooled.Select(r => r.P95Ms)) },
                    batched = new { requestsPerSecond = Median(batched.Select(r => r.RequestsPerSecond)), p50Ms = Median(batched.Select(r => r.P50Ms)), p95Ms = Median(batched.Select(r => r.P95Ms)), meanBatchSize = Median(batched.Select(r => r.MeanBatchSize ?? 0)) },
                    throughputRatio = new { median = Median(throughputRatios), min = throughputRatios.Min(), max = throughputRatios.Max(), perRepeat = throughputRatios },
                    p95Ratio = new { median = Median(p95Ratios), min = p95Ratios.Min(), max = p95Ratios.Max(), perRepeat = p95Ratios },
                };
            }).ToArray();
            foreach (var s in summary)
            {
                Console.Error.WriteLine($"{preset} {s.clients,2} clients: pooled {s.pooled.requestsPerSecond:F1} req/s p95 {s.pooled.p95Ms:F1} ms; batched {s.batched.requestsPerSecond:F1} req/s p95 {s.batched.p95Ms:F1} ms; " +
                    $"throughput x{s.throughputRatio.median:F2} [{s.throughputRatio.min:F2}..{s.throughputRatio.max:F2}], p95 x{s.p95Ratio.median:F2} [{s.p95Ratio.min:F2}..{s.p95Ratio.max:F2}]");
            }

            return new { preset, oneThread, summary, runs };
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// What batching can gain at most here: the same 64 test rows on this thread, through one PredictionEngine row by
    /// row and through Transform 16 rows at a time (the predictor's batch), alternating, best of the repeats.
    /// </summary>
    private static OneThreadRates OneThread(MLContext ml, ITransformer model, TaskDataset dataset, int repeats)
    {
        var rows = dataset.ReadExamples("test").Skip(1024).Take(64).Select(e => new Row { Premise = e.Inputs[0], Hypothesis = e.Inputs[1] }).ToArray();
        var engine = ml.Model.CreatePredictionEngine<Row, Answer>(model);
        double Engine()
        {
            var clock = Stopwatch.StartNew();
            foreach (var row in rows)
            {
                engine.Predict(row);
            }

            return rows.Length / clock.Elapsed.TotalSeconds;
        }

        double Batched()
        {
            var clock = Stopwatch.StartNew();
            for (var start = 0; start < rows.Length; start += 16)
            {
                _ = ml.Data.CreateEnumerable<Answer>(model.Transform(ml.Data.LoadFromEnumerable(rows[start..(start + 16)])), reuseRowObject: false).ToList();
            }

            return rows.Length / clock.Elapsed.TotalSeconds;
        }

        Engine();
        Batched();
        var engineRates = new List<double>();
        var batchedRates = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            engineRates.Add(Engine());
            batchedRates.Add(Batched());
        }

        return new OneThreadRates(engineRates.Max(), batchedRates.Max(), MachineDescription.LoadAverage());
    }

    /// <summary>A few steps on annotated e-SNLI rows, saved as <c>stepdistill train</c> saves: the input format in front, raw rows in.</summary>
    private static void Train(TaskDataset dataset, string preset, int steps, string zip)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.TakeRows(dataset.LoadSplit(ml, "valid"), 64);
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning,
            LabelColumnName = "label",
            Labels = [.. dataset.Schema.Labels!],
            Student = preset,
            TokenizerPath = Path.Combine(AppContext.BaseDirectory, "spiece.model"),
            MaxSteps = steps,
            BatchSize = 8,
            MaxInputLength = 128,
            MaxTargetLength = 16,
            Seed = 1,
        };
        var model = ml.StepDistill().Transforms.FormatStudentInput(dataset.Schema).Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options)).Fit(raw);
        using var student = model.LastTransformer;
        ml.StepDistill().SaveModel(model, raw.Schema, zip);
    }

    private static WebApplication Server(StepDistillPredictor<Row, Answer> predictor, ObjectPool<PredictionEngine<Row, Answer>> pool)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Error);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/batched", async (Row row, CancellationToken cancellationToken) => Reply(await predictor.PredictAsync(row, cancellationToken: cancellationToken)));
        app.MapPost("/pooled", (Row row) =>
        {
            var engine = pool.Get();
            try
            {
                return Reply(engine.Predict(row));
            }
            finally
            {
                pool.Return(engine);
            }
        });
        return app;
    }

    private static IResult Reply(Answer answer) => Results.Json(new { label = answer.PredictedText, scores = answer.Score });

    /// <summary>Drives <paramref name="endpoint"/> with <paramref name="clients"/> closed-loop clients for <paramref name="seconds"/>: requests started in the window, all waited for.</summary>
    private static int failures;

    private static async Task<(int Count, double Seconds, double[] LatenciesMs)> Drive(HttpClient client, string endpoint, byte[][] bodies, int clients, double seconds)
    {
        var next = -1;
        var latencies = new List<double>[clients];
        var clock = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            while (clock.Elapsed < deadline)
            {
                var body = bodies[(Interlocked.Increment(ref next) & int.MaxValue) % bodies.Length];
                var sent = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.PostAsync("/" + endpoint, content);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                    Console.Error.WriteLine($"/{endpoint} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    continue;
                }

                await response.Content.ReadAsByteArrayAsync();
                latencies[c].Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var all = latencies.SelectMany(l => l).ToArray();
        return (all.Length, clock.Elapsed.TotalSeconds, all);
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static double Median(IEnumerable<double> values) => Figure.MedianOf([.. values]);

    private sealed record OneThreadRates(double EngineRowsPerSecond, double TransformRowsPerSecond, double[] LoadAverage);

    private sealed record Run(int Repeat, int Clients, string Endpoint, double RequestsPerSecond, double P50Ms, double P95Ms, int Requests, double? MeanBatchSize, double[] LoadBefore, double[] LoadAfter);

    private sealed class EnginePolicy(MLContext ml, ITransformer model) : PooledObjectPolicy<PredictionEngine<Row, Answer>>
    {
        public override PredictionEngine<Row, Answer> Create() => ml.Model.CreatePredictionEngine<Row, Answer>(model);

        public override bool Return(PredictionEngine<Row, Answer> engine) => true;
    }

    /// <summary>A request: the raw e-SNLI fields.</summary>
    internal sealed class Row
    {
        [ColumnName("premise")] public string Premise { get; set; } = "";

        [ColumnName("hypothesis")] public string Hypothesis { get; set; } = "";
    }

    /// <summary>An answer: the student's columns.</summary>
    internal sealed class Answer
    {
        public float[] Score { get; set; } = [];

        public string PredictedText { get; set; } = "";
    }
}
