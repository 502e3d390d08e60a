using System.Text.Json;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// `annotate --batch` killed (a real process kill) at each stage of a batch job, then started again: the batch is made
/// once, from one uploaded input file, and polled, not paid for twice.
/// </summary>
public class AnnotateBatchKillTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Key = new() { ["BATCH_KILL_KEY"] = ServerTestData.ApiKey };

    /// <summary>
    /// The loopback server holds one request of the job (before or after acting on it) until the process is killed.
    /// Upload: received, not stored. UploadReply: stored, answer held. Create: received, no batch made. CreateLate:
    /// received, the batch made 3 s after the kill (the restart must wait for it, not make another). CreateReply: the
    /// batch made and running, answer held. Download: the finished batch's output file being read.
    /// </summary>
    [Theory]
    [InlineData(FakeBatchStall.Upload, 0, 0, 1)]
    [InlineData(FakeBatchStall.UploadReply, 1, 0, 1)]
    [InlineData(FakeBatchStall.Create, 1, 0, 1)]
    [InlineData(FakeBatchStall.CreateLate, 1, 0, 0)]
    [InlineData(FakeBatchStall.CreateReply, 1, 1, 0)]
    [InlineData(FakeBatchStall.Download, 1, 1, 0)]
    public async Task A_batch_run_killed_at_any_stage_ends_with_one_batch_from_one_uploaded_file(FakeBatchStall stage, int filesAtKill, int batchesAtKill, int restartCreates)
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var cache = ServerTestData.NewFolder();
        var args = Args(server, cache);
        server.Batches.Stall = stage;

        using (var killed = CliProcess.Start(args, Key))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (server.Batches.Stalled == 0 && !killed.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            Assert.False(killed.HasExited, killed.HasExited ? await killed.StandardError.ReadToEndAsync() : "");
            Assert.True(server.Batches.Stalled > 0, $"the run never reached {stage}");
            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
        }
        var killedAt = DateTime.UtcNow;
        // The server sees the connection go before the stall is lifted, so nothing it held acts after the kill.
        var gone = DateTime.UtcNow.AddSeconds(30);
        while (server.Batches.Stalled > 0 && DateTime.UtcNow < gone)
        {
            await Task.Delay(10);
        }
        Assert.Equal(0, server.Batches.Stalled);
        Assert.Equal((filesAtKill, batchesAtKill), (server.Batches.FilesUploaded, server.Batches.BatchesCreated));
        server.Batches.Stall = FakeBatchStall.None;

        var resumed = await RunAsync(args, output);
        if (stage == FakeBatchStall.CreateLate)
        {
            // Count after the late batch is made, whether or not the restart waited for it.
            var made = killedAt + server.Batches.LateCreateDelay + TimeSpan.FromSeconds(1) - DateTime.UtcNow;
            await Task.Delay(made > TimeSpan.Zero ? made : TimeSpan.Zero);
        }

        output.WriteLine($"killed at {stage}: the server had {filesAtKill} file(s) and {batchesAtKill} batch(es); after the restart it has " +
            $"{server.Batches.BatchesCreated} batch(es) created, {server.Batches.FilesUploaded} file(s) uploaded, {server.Batches.FilesDeleted} deleted, " +
            $"{server.CompletionCount} live call(s); the restart created {resumed.GetProperty("batchesCreated").GetInt32()} batch(es)");
        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(1, server.Batches.FilesUploaded);
        Assert.Equal(1, server.Batches.InputFileCount);
        Assert.Equal(0, server.Batches.FilesDeleted);
        Assert.Equal(restartCreates, resumed.GetProperty("batchesCreated").GetInt32());
        Assert.Equal(200, resumed.GetProperty("rows").GetInt32());
        Assert.Equal(200, resumed.GetProperty("batchedCalls").GetInt64());
        Assert.Equal(200, resumed.GetProperty("annotated").GetInt32() + resumed.GetProperty("parseFailures").GetInt32());
        Assert.Equal(0, resumed.GetProperty("callFailures").GetInt32());
        Assert.Equal(0, server.CompletionCount);
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "batches"), "*.tmp"));
    }

    [Fact]
    public async Task A_batch_run_killed_while_polling_resumes_the_same_batch_and_a_third_run_asks_nothing()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        server.Batches.Hold = true;
        var cache = ServerTestData.NewFolder();
        var args = Args(server, cache);

        using (var killed = CliProcess.Start(args, Key))
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
        var resumed = await RunAsync(args);
        var before = server.RequestCount;
        var third = await RunAsync(args);

        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(1, server.Batches.FilesUploaded);
        Assert.Equal(0, resumed.GetProperty("batchesCreated").GetInt32());
        Assert.Equal(200, resumed.GetProperty("batchedCalls").GetInt64());
        Assert.Equal(200, resumed.GetProperty("annotated").GetInt32() + resumed.GetProperty("parseFailures").GetInt32());
        Assert.Equal(0, server.CompletionCount);
        Assert.Equal(0, third.GetProperty("calls").GetInt64());
        Assert.Equal(before, server.RequestCount);
    }

    private static string[] Args(FakeChatCompletionsServer server, string cache) =>
    [
        "annotate", "--dataset", RepoPaths.Dataset("svamp"), "--split", "test", "--teacher", "openai", "--endpoint", server.BaseUri.ToString(),
        "--model", "palm", "--api-key-env", "BATCH_KILL_KEY", "--cache", cache, "--batch", "--batch-poll", "0.02", "--json",
    ];

    /// <summary>Runs to the end; the run's messages about batches and files go to <paramref name="log"/>.</summary>
    private static async Task<JsonElement> RunAsync(string[] args, ITestOutputHelper? log = null)
    {
        using var process = CliProcess.Start(args, Key);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        foreach (var line in (await stderr).Split('\n').Where(l => l.Contains("batch", StringComparison.Ordinal) || l.Contains("file", StringComparison.Ordinal)))
        {
            log?.WriteLine("  restart: " + line.Trim());
        }
        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
