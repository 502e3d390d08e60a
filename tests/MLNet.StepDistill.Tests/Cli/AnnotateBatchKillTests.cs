using System.Text.Json;
using MLNet.StepDistill.TestServer;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>`annotate --batch` killed while it polls, then started again: the same batch is polled, not paid for twice.</summary>
public class AnnotateBatchKillTests
{
    [Fact]
    public async Task A_batch_run_killed_while_polling_resumes_the_same_batch_and_a_third_run_asks_nothing()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        server.Batches.Hold = true;
        var cache = ServerTestData.NewFolder();
        string[] args =
        [
            "annotate", "--dataset", RepoPaths.Dataset("svamp"), "--split", "test", "--teacher", "openai", "--endpoint", server.BaseUri.ToString(),
            "--model", "palm", "--api-key-env", "BATCH_KILL_KEY", "--cache", cache, "--batch", "--batch-poll", "0.02", "--json",
        ];
        var key = new Dictionary<string, string> { ["BATCH_KILL_KEY"] = ServerTestData.ApiKey };

        using (var killed = CliProcess.Start(args, key))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (server.Batches.StatusReads < 3 && !killed.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            Assert.False(killed.HasExited, killed.HasExited ? await killed.StandardError.ReadToEndAsync() : "");
            Assert.True(server.Batches.StatusReads >= 3, "the first run never polled its batch");
            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
        }
        Assert.Equal(1, server.Batches.BatchesCreated);

        server.Batches.Hold = false;
        var resumed = await RunAsync(args, key);
        var before = server.RequestCount;
        var third = await RunAsync(args, key);

        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(1, server.Batches.FilesUploaded);
        Assert.Equal(0, resumed.GetProperty("batchesCreated").GetInt32());
        Assert.Equal(200, resumed.GetProperty("batchedCalls").GetInt64());
        Assert.Equal(200, resumed.GetProperty("annotated").GetInt32() + resumed.GetProperty("parseFailures").GetInt32());
        Assert.Equal(0, server.CompletionCount);
        Assert.Equal(0, third.GetProperty("calls").GetInt64());
        Assert.Equal(before, server.RequestCount);
    }

    private static async Task<JsonElement> RunAsync(string[] args, Dictionary<string, string> key)
    {
        using var process = CliProcess.Start(args, key);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
