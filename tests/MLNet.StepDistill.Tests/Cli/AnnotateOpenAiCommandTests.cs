using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

public class AnnotateOpenAiCommandTests
{
    private const string Key = "sk-CLI-9d2e44aa-keep-secret";

    [Fact]
    public async Task Openai_teacher_annotates_through_the_cache_reads_the_key_from_the_environment_and_never_prints_it()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        using var temp = new TempFolder();
        var outFile = Path.Combine(temp.Path, "rows.jsonl");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { ExpectedApiKey = Key });
        var settings = new AnnotateCommand.Settings
        {
            Dataset = RepoPaths.Dataset("svamp"), Split = "test", Teacher = "openai", Endpoint = server.BaseUri.ToString(), Model = "palm",
            ApiKeyEnv = "TEST_TEACHER_KEY", Cache = Path.Combine(temp.Path, "cache"), Concurrency = 16, Json = true, Out = outFile,
        };
        string? Environment(string name) => name == "TEST_TEACHER_KEY" ? Key : null;

        var first = new StringWriter();
        await new AnnotateCommand(first, Environment).RunAsync(settings, CancellationToken.None);
        var second = new StringWriter();
        await new AnnotateCommand(second, Environment).RunAsync(settings, CancellationToken.None);
        var text = new StringWriter();
        await new AnnotateCommand(text, Environment).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = settings.Dataset, Split = "test", Teacher = "openai", Endpoint = settings.Endpoint, Model = "palm", ApiKeyEnv = "TEST_TEACHER_KEY", Cache = settings.Cache,
        }, CancellationToken.None);

        using var run1 = JsonDocument.Parse(first.ToString());
        using var run2 = JsonDocument.Parse(second.ToString());
        using var recorded = JsonDocument.Parse(await RecordedJsonAsync());
        Assert.Equal(200, run1.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(200, run1.RootElement.GetProperty("calls").GetInt64());
        Assert.True(run1.RootElement.GetProperty("promptTokens").GetInt64() > 0);
        Assert.Equal(0, run2.RootElement.GetProperty("calls").GetInt64());
        Assert.Equal(200, run2.RootElement.GetProperty("cacheHits").GetInt64());
        Assert.Equal(200, server.CompletionCount);
        Assert.Equal(recorded.RootElement.GetProperty("teacherAccuracy").GetDouble(), run1.RootElement.GetProperty("teacherAccuracy").GetDouble());
        Assert.Equal("openai-compatible|http://localhost/v1|palm", run1.RootElement.GetProperty("teacher").GetString());
        Assert.Equal(200, File.ReadAllLines(outFile).Length);
        Assert.Contains("teacher calls     0 (200 cache hits", text.ToString());
        Assert.All(new[] { first.ToString(), second.ToString(), text.ToString(), File.ReadAllText(outFile) }, s => Assert.DoesNotContain(Key, s));
    }

    [Theory]
    [InlineData(null, "m", "--endpoint")]
    [InlineData("ftp://x/v1", "m", "--endpoint")]
    [InlineData("http://127.0.0.1:1/v1", null, "--model")]
    [InlineData("http://127.0.0.1:1/v1", "m", "NO_SUCH_KEY_VAR")]
    public async Task Missing_openai_options_are_user_facing_errors(string? endpoint, string? model, string message)
    {
        var settings = new AnnotateCommand.Settings
        {
            Dataset = RepoPaths.Dataset("svamp"), Split = "test", Teacher = "openai", Endpoint = endpoint, Model = model, ApiKeyEnv = "NO_SUCH_KEY_VAR",
        };

        var ex = await Assert.ThrowsAsync<UserFacingException>(() => new AnnotateCommand(TextWriter.Null, _ => null).RunAsync(settings, CancellationToken.None));

        Assert.Contains(message, ex.Message);
    }

    private static async Task<string> RecordedJsonAsync()
    {
        var output = new StringWriter();
        await new AnnotateCommand(output).RunAsync(new AnnotateCommand.Settings { Dataset = RepoPaths.Dataset("svamp"), Split = "test", Json = true }, CancellationToken.None);
        return output.ToString();
    }
}
