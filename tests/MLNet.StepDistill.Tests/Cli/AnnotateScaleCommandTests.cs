using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>`stepdistill annotate` at scale: exit codes, fail-fast, teacher identity, cost, budget, dry run, batch, warnings.</summary>
public class AnnotateScaleCommandTests
{
    private const string KeyVariable = "TEST_SCALE_KEY";

    private static string? Environment(string name) => name == KeyVariable ? ServerTestData.ApiKey : null;

    private static AnnotateCommand.Settings Settings(FakeChatCompletionsServer? server, string cache, int? port = null) => new()
    {
        Dataset = RepoPaths.Dataset("svamp"), Split = "test", Teacher = "openai",
        Endpoint = server?.BaseUri.ToString() ?? $"http://127.0.0.1:{port}/v1", Model = "palm", ApiKeyEnv = KeyVariable, Cache = cache, Json = true,
    };

    [Fact]
    public async Task A_closed_port_is_a_user_error_naming_endpoint_model_and_what_to_check()
    {
        var settings = Settings(null, ServerTestData.NewFolder(), ClosedPort());

        var ex = await Assert.ThrowsAsync<UserFacingException>(() => new AnnotateCommand(TextWriter.Null, Environment).RunAsync(settings, CancellationToken.None));

        Assert.Contains($"endpoint {settings.Endpoint}", ex.Message);
        Assert.Contains("model palm", ex.Message);
        Assert.Contains("check the host and port", ex.Message);
    }

    [Fact]
    public async Task A_run_whose_rows_all_failed_exits_1_and_says_why_and_accuracy_notes_the_unanswered_gold_rows()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(),
            new FakeServerOptions { FaultFraction = 1, RandomFaults = [FakeFault.ServerError] });
        var output = new StringWriter();
        var error = new StringWriter();
        var settings = Settings(server, ServerTestData.NewFolder());

        var code = await new AnnotateCommand(output, Environment, error).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = settings.Dataset, Split = "test", Teacher = "openai", Endpoint = settings.Endpoint, Model = "palm", ApiKeyEnv = KeyVariable,
            Cache = settings.Cache, Retries = 0,
        }, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("every row ended call-failed", error.ToString());
        Assert.Contains("HTTP 500", error.ToString());
        Assert.Contains("n/a (none of the 200 rows with gold was answered)", output.ToString());
    }

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(0.9, 0)]
    public async Task Failures_above_max_failed_fraction_exit_1(double maxFailed, int expected)
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(),
            new FakeServerOptions { FaultFraction = 0.4, RandomFaults = [FakeFault.ServerError], Seed = 3 });
        var settings = Settings(server, ServerTestData.NewFolder());
        var output = new StringWriter();

        var code = await new AnnotateCommand(output, Environment, TextWriter.Null).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = settings.Dataset, Split = "test", Teacher = "openai", Endpoint = settings.Endpoint, Model = "palm", ApiKeyEnv = KeyVariable,
            Cache = settings.Cache, Retries = 0, MaxFailedFraction = maxFailed, Json = true,
        }, CancellationToken.None);

        using var json = JsonDocument.Parse(output.ToString());
        Assert.InRange(json.RootElement.GetProperty("callFailures").GetInt32(), 40, 130);
        Assert.True(json.RootElement.GetProperty("teacherAccuracy").GetDouble() > 0.5);   // computed over the answered rows with gold
        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task The_same_local_model_on_a_new_port_is_the_same_teacher_and_teacher_id_joins_different_hosts()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var cache = ServerTestData.NewFolder();
        await using var first = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        await using var restarted = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        Assert.NotEqual(first.BaseUri.Port, restarted.BaseUri.Port);

        Assert.Equal(0, await new AnnotateCommand(TextWriter.Null, Environment).RunAsync(Settings(first, cache), CancellationToken.None));
        Assert.Equal(0, await new AnnotateCommand(TextWriter.Null, Environment).RunAsync(Settings(restarted, cache), CancellationToken.None));
        Assert.Equal(200, first.CompletionCount);
        Assert.Equal(0, restarted.RequestCount);

        // 127.0.0.1 and a host name are different endpoints by default; --teacher-id names them as one.
        var named = ServerTestData.NewFolder();
        var viaIp = Settings(first, named);
        Assert.Equal(0, await new AnnotateCommand(TextWriter.Null, Environment).RunAsync(With(viaIp, teacherId: "lab-palm"), CancellationToken.None));
        var viaName = With(Settings(restarted, named), teacherId: "lab-palm", endpoint: restarted.BaseUri.ToString().Replace("127.0.0.1", System.Net.Dns.GetHostName()));
        var output = new StringWriter();
        Assert.Equal(0, await new AnnotateCommand(output, Environment).RunAsync(viaName, CancellationToken.None));
        Assert.Equal(0, restarted.RequestCount);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal("openai-compatible|id:lab-palm|palm", json.RootElement.GetProperty("teacher").GetString());
    }

    [Fact]
    public async Task Prices_give_cost_in_the_summary_and_per_row_and_they_agree()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        using var temp = new TempFolder();
        var outFile = Path.Combine(temp.Path, "rows.jsonl");
        var output = new StringWriter();
        var settings = With(Settings(server, ServerTestData.NewFolder()), priceIn: 3, priceOut: 15, outFile: outFile);

        Assert.Equal(0, await new AnnotateCommand(output, Environment).RunAsync(settings, CancellationToken.None));

        using var json = JsonDocument.Parse(output.ToString());
        var rows = File.ReadLines(outFile).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var serverPrompt = server.Requests.Sum(r => (long)r.Messages.Sum(m => FakeChatCompletionsServer.WordCount(m.Content)));
        Assert.Equal(serverPrompt, json.RootElement.GetProperty("promptTokens").GetInt64());
        Assert.Equal(serverPrompt, rows.Sum(r => r.GetProperty("promptTokens").GetInt64()));
        Assert.Equal(json.RootElement.GetProperty("completionTokens").GetInt64(), rows.Sum(r => r.GetProperty("completionTokens").GetInt64()));
        Assert.Equal(json.RootElement.GetProperty("cost").GetDouble(), rows.Sum(r => r.GetProperty("cost").GetDouble()), 9);
        var expected = (serverPrompt * 3 + json.RootElement.GetProperty("completionTokens").GetInt64() * 15) / 1e6;
        Assert.Equal(expected, json.RootElement.GetProperty("cost").GetDouble(), 9);
        Assert.False(json.RootElement.GetProperty("tokensEstimated").GetBoolean());
    }

    [Fact]
    public async Task Max_cost_stops_the_run_exits_1_and_a_rerun_with_a_higher_budget_finishes()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var cache = ServerTestData.NewFolder();
        var error = new StringWriter();

        var stopped = await new AnnotateCommand(TextWriter.Null, Environment, error).RunAsync(With(Settings(server, cache), priceIn: 1000, priceOut: 1000, maxCost: 100), CancellationToken.None);
        var paid = server.CompletionCount;
        var finished = await new AnnotateCommand(TextWriter.Null, Environment).RunAsync(With(Settings(server, cache), priceIn: 1000, priceOut: 1000, maxCost: 100_000), CancellationToken.None);

        Assert.Equal(1, stopped);
        Assert.Contains("budget (--max-cost 100) was reached", error.ToString());
        Assert.InRange(paid, 1, 199);
        Assert.Equal(0, finished);
        Assert.Equal(200, server.CompletionCount);
    }

    [Fact]
    public async Task Dry_run_makes_no_request_and_counts_the_prompt_tokens()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var output = new StringWriter();

        var code = await new AnnotateCommand(output, Environment).RunAsync(With(Settings(server, ServerTestData.NewFolder()), priceIn: 2.5, priceOut: 10, dryRun: true), CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal(0, server.RequestCount);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal(200, json.RootElement.GetProperty("requests").GetInt64());
        var prompt = RationalePrompt.ForDataset(svamp.Dataset.Manifest);
        Assert.Equal(svamp.Examples.Sum(e => (long)TokenEstimator.PromptTokens(prompt.Build(e))), json.RootElement.GetProperty("promptTokens").GetInt64());
        Assert.True(json.RootElement.GetProperty("estimatedBatchCost").GetDouble() < json.RootElement.GetProperty("estimatedCost").GetDouble());
    }

    [Fact]
    public async Task Batch_mode_from_the_command_line_answers_every_row_through_one_batch()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var output = new StringWriter();

        var code = await new AnnotateCommand(output, Environment).RunAsync(With(Settings(server, ServerTestData.NewFolder()), batch: true), CancellationToken.None);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal(200, json.RootElement.GetProperty("batchedCalls").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("batchesCreated").GetInt32());
        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(0, server.CompletionCount);
    }

    [Fact]
    public async Task A_torn_cache_line_is_shown_to_the_user_as_a_warning()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var cache = ServerTestData.NewFolder();
        File.WriteAllText(Path.Combine(cache, "teacher-calls-torn.jsonl"), "{\"key\": \"abc\", \"text\": \"half a rec");
        var error = new StringWriter();

        Assert.Equal(0, await new AnnotateCommand(TextWriter.Null, Environment, error).RunAsync(Settings(server, cache), CancellationToken.None));

        Assert.Contains("warning: ", error.ToString());
        Assert.Contains("teacher-calls-torn.jsonl:1: skipped an unreadable teacher-cache record", error.ToString());
    }

    private static AnnotateCommand.Settings With(AnnotateCommand.Settings s, string? teacherId = null, string? endpoint = null, double? priceIn = null, double? priceOut = null,
        double? maxCost = null, bool dryRun = false, bool batch = false, string? outFile = null) => new()
        {
            Dataset = s.Dataset, Split = s.Split, Teacher = s.Teacher, Endpoint = endpoint ?? s.Endpoint, Model = s.Model, ApiKeyEnv = s.ApiKeyEnv, Cache = s.Cache,
            Json = true, TeacherId = teacherId, PriceIn = priceIn, PriceOut = priceOut, MaxCost = maxCost, DryRun = dryRun, Batch = batch, BatchPoll = 0.01,
            Out = outFile, Concurrency = 16,
        };

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
