using System.Diagnostics;
using System.Globalization;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Teacher throughput through the full stack (OpenAI SDK -> IChatClient -> ChatClientTeacher with Polly ->
/// CachingTeacher -> disk cache) against the loopback fake server with injected latency, at several concurrency
/// limits, then the same prompts again from a reopened cache.
/// Options: --latency-ms N (default 100).
/// </summary>
internal sealed class TeacherBenchmark : IBenchmark
{
    private const string Key = "bench-key";
    private const string Completion = "There are 10 seeds in each of 45 beds. So they planted 10 * 45 seeds. The answer is (10 * 45).";

    public string Name => "teacher";

    public string Description => "chat-teacher prompts/s at concurrency 1, 8, 32 over loopback HTTP with latency, and cached re-runs";

    public async Task<int> RunAsync(string[] args)
    {
        if (LatencyOption.Parse(Name, args) is not { } latencyMs)
        {
            return 2;
        }

        await using var server = await FakeChatCompletionsServer.StartAsync(_ => Completion,
            new FakeServerOptions { ExpectedApiKey = Key, Latency = TimeSpan.FromMilliseconds(latencyMs) });
        Console.WriteLine($"server {server.BaseUri}, latency {latencyMs} ms, {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"concurrency",11} {"prompts",8} {"seconds",8} {"prompts/s",10} {"ideal/s",8}");

        await RunOnceAsync(server, concurrency: 4, prompts: 16, tag: "warmup", print: false);
        foreach (var (concurrency, prompts) in new[] { (1, 64), (8, 64), (32, 512) })
        {
            var folder = await RunOnceAsync(server, concurrency, prompts, tag: $"c{concurrency}", print: true, idealPerSecond: latencyMs == 0 ? double.NaN : concurrency * 1000.0 / latencyMs);
            if (concurrency == 32)
            {
                await CachedRerunAsync(server, folder, concurrency, prompts);
            }
            Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    private static TeacherPrompt[] Prompts(string tag, int count) =>
        Enumerable.Range(0, count).Select(i => new TeacherPrompt($"{tag}-{i}", "Answer step by step.", $"Benchmark question {tag}-{i}: how many seeds?")).ToArray();

    private static ChatClientTeacher Teacher(FakeChatCompletionsServer server, int concurrency) =>
        OpenAiCompatibleTeacher.Create(server.BaseUri, "bench-model", Key, new TeacherCallOptions { MaxConcurrency = concurrency });

    private static async Task<string> RunOnceAsync(FakeChatCompletionsServer server, int concurrency, int prompts, string tag, bool print, double idealPerSecond = double.NaN)
    {
        var folder = Path.Combine(Path.GetTempPath(), "stepdistill-bench", Guid.NewGuid().ToString("N"));
        using var teacher = Teacher(server, concurrency);
        using var cache = TeacherCallCache.Open(folder);
        var caching = new CachingTeacher(teacher, cache);
        var work = Prompts(tag, prompts);

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(work.Select(p => caching.CompleteAsync(p, new TeacherSampling(), CancellationToken.None)));
        clock.Stop();

        if (caching.Stats.Calls != prompts || caching.Stats.Failures != 0)
        {
            throw new InvalidOperationException($"expected {prompts} successful calls, got {caching.Stats}");
        }
        if (print)
        {
            Console.WriteLine($"{concurrency,11} {prompts,8} {clock.Elapsed.TotalSeconds,8:0.000} {prompts / clock.Elapsed.TotalSeconds,10:0.0} {(double.IsNaN(idealPerSecond) ? "-" : idealPerSecond.ToString("0.0", CultureInfo.InvariantCulture)),8}");
        }
        return folder;
    }

    private static async Task CachedRerunAsync(FakeChatCompletionsServer server, string folder, int concurrency, int prompts)
    {
        const int passes = 20;
        var requestsBefore = server.RequestCount;
        var load = Stopwatch.StartNew();
        using var cache = TeacherCallCache.Open(folder);
        load.Stop();
        using var teacher = Teacher(server, concurrency);
        var caching = new CachingTeacher(teacher, cache);
        var work = Prompts($"c{concurrency}", prompts);

        var clock = Stopwatch.StartNew();
        for (var pass = 0; pass < passes; pass++)
        {
            await Task.WhenAll(work.Select(p => caching.CompleteAsync(p, new TeacherSampling(), CancellationToken.None)));
        }
        clock.Stop();

        if (caching.Stats.Calls != 0 || server.RequestCount != requestsBefore)
        {
            throw new InvalidOperationException($"the cached re-run made requests: {caching.Stats}");
        }
        Console.WriteLine($"cache reopen: {prompts} records loaded in {load.Elapsed.TotalMilliseconds:0.0} ms");
        Console.WriteLine($"cached re-run: {passes} x {prompts} prompts in {clock.Elapsed.TotalSeconds:0.000} s = {passes * prompts / clock.Elapsed.TotalSeconds:0} prompts/s, 0 requests");
    }
}
