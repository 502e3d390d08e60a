using System.Diagnostics;
using System.Text.Json;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>Two `stepdistill annotate` processes started together on one cache folder, against one loopback server.</summary>
public class AnnotateTwoProcessesTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Key = new() { ["TWO_PROCESS_KEY"] = ServerTestData.ApiKey };

    [Fact]
    public async Task Two_processes_on_one_cache_ask_each_prompt_once_between_them()
    {
        var cqa = RecordedSplit.Open("cqa", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(cqa.Responder(), new FakeServerOptions { Latency = TimeSpan.FromMilliseconds(10) });
        var cache = ServerTestData.NewFolder();
        string[] args =
        [
            "annotate", "--dataset", RepoPaths.Dataset("cqa"), "--split", "test", "--teacher", "openai", "--endpoint", server.BaseUri.ToString(),
            "--model", "palm", "--api-key-env", "TWO_PROCESS_KEY", "--cache", cache, "--concurrency", "8", "--json",
        ];

        using var first = CliProcess.Start(args, Key);
        using var second = CliProcess.Start(args, Key);
        var runs = await Task.WhenAll(ReadAsync(first), ReadAsync(second));

        var calls = runs.Select(r => r.GetProperty("calls").GetInt64()).ToArray();
        output.WriteLine($"process 1: {calls[0]} calls, process 2: {calls[1]} calls, server: {server.CompletionCount} completions for {cqa.Examples.Count} rows");
        Assert.All(runs, r => Assert.Equal(1221, r.GetProperty("rows").GetInt32()));
        Assert.All(runs, r => Assert.Equal(0, r.GetProperty("callFailures").GetInt32()));
        Assert.Equal(1221, server.CompletionCount);
        Assert.All(server.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
        Assert.Equal(1221, calls.Sum());
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "leases")));
    }

    private static async Task<JsonElement> ReadAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
