using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Rows/s of the RationaleAnnotator (few-shot prompts, OpenAI SDK, ChatClientTeacher, cache, parsing, IDataView out)
/// against the loopback server answering CQA test rows with their recorded completions, at concurrency 1, 8 and 32,
/// then a fully cached re-run. Options: --latency-ms N (default 100).
/// </summary>
internal sealed class AnnotateBenchmark : IBenchmark
{
    private const string Key = "bench-key";

    public string Name => "annotate";

    public string Description => "RationaleAnnotator rows/s over loopback HTTP (CQA test, latency) at concurrency 1, 8, 32, and a cached re-run";

    public async Task<int> RunAsync(string[] args)
    {
        if (LatencyOption.Parse(Name, args) is not { } latencyMs)
        {
            return 2;
        }

        var dataset = TaskDataset.Open(Path.Combine(RepositoryRoot(), "datasets", "cqa"));
        var examples = dataset.ReadExamples("test");
        var completions = File.ReadLines(dataset.Manifest.TeacherPath("palm-540b", "test"))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("completion").GetString()!);
        var byQuestion = examples.ToDictionary(e => e.Text, e => completions[e.Id]);
        await using var server = await FakeChatCompletionsServer.StartAsync(
            request => byQuestion.GetValueOrDefault(LastQuestion(request.UserPrompt)),
            new FakeServerOptions { ExpectedApiKey = Key, Latency = TimeSpan.FromMilliseconds(latencyMs) });
        Console.WriteLine($"server {server.BaseUri}, latency {latencyMs} ms, {Environment.ProcessorCount} cores, CQA test rows");
        Console.WriteLine($"{"concurrency",11} {"rows",6} {"seconds",8} {"rows/s",8} {"ideal/s",8}");

        await RunAsync(server, dataset, examples.Take(16).ToArray(), 4, NewFolder(), print: false, latencyMs);
        string? lastFolder = null;
        IReadOnlyList<TaskExample> lastRows = [];
        foreach (var (concurrency, rows) in new[] { (1, 32), (8, 160), (32, 640) })
        {
            lastFolder = NewFolder();
            lastRows = examples.Skip(16).Take(rows).ToArray();
            await RunAsync(server, dataset, lastRows, concurrency, lastFolder, print: true, latencyMs);
        }

        const int passes = 5;
        var requests = server.RequestCount;
        var clock = Stopwatch.StartNew();
        for (var pass = 0; pass < passes; pass++)
        {
            await RunAsync(server, dataset, lastRows, 32, lastFolder!, print: false, latencyMs);
        }
        clock.Stop();
        if (server.RequestCount != requests)
        {
            throw new InvalidOperationException("the cached re-run made requests");
        }
        Console.WriteLine($"cached re-run: {passes} x {lastRows.Count} rows in {clock.Elapsed.TotalSeconds:0.000} s = {passes * lastRows.Count / clock.Elapsed.TotalSeconds:0} rows/s (cache reopened each pass), 0 requests");
        Directory.Delete(Path.GetDirectoryName(lastFolder!)!, recursive: true);
        return 0;
    }

    private static async Task RunAsync(FakeChatCompletionsServer server, TaskDataset dataset, IReadOnlyList<TaskExample> rows, int concurrency, string folder, bool print, int latencyMs)
    {
        var mlContext = new MLContext(seed: 0);
        var data = TaskDataset.ToDataView(rows, dataset.Schema);
        using var teacher = OpenAiCompatibleTeacher.Create(server.BaseUri, "palm-540b-recorded", Key, new TeacherCallOptions { MaxConcurrency = concurrency });
        var options = RationaleAnnotatorOptions.ForDataset(dataset.Manifest);
        options.CacheFolder = folder;
        options.MaxConcurrency = concurrency;

        var clock = Stopwatch.StartNew();
        var transformer = await mlContext.StepDistill().AnnotateRationales(teacher, options).FitAsync(data);
        clock.Stop();
        var report = transformer.LastReport!;
        if (report.CallFailed != 0 || report.Rows != rows.Count)
        {
            throw new InvalidOperationException($"unexpected run: {report}");
        }
        if (print)
        {
            var ideal = latencyMs == 0 ? "-" : (concurrency * 1000.0 / latencyMs).ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine($"{concurrency,11} {rows.Count,6} {clock.Elapsed.TotalSeconds,8:0.000} {rows.Count / clock.Elapsed.TotalSeconds,8:0.0} {ideal,8}");
        }
    }

    private static string LastQuestion(string prompt)
    {
        var question = prompt[(prompt.LastIndexOf("Q: ", StringComparison.Ordinal) + 3)..];
        var end = question.IndexOf("\nAnswer Choices:", StringComparison.Ordinal);
        return end < 0 ? question : question[..end];
    }

    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "stepdistill-bench", Guid.NewGuid().ToString("N"));

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
}
