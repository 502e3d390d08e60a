using System.Net;
using System.Net.Sockets;
using Microsoft.ML;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>A teacher that cannot be reached stops the run at its first answer, with the default retry settings.</summary>
public class FailFastTests
{
    [Fact]
    public async Task A_closed_port_stops_the_run_on_the_first_attempt_naming_the_endpoint()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var endpoint = new Uri($"http://127.0.0.1:{ClosedPort()}/v1");
        using var teacher = OpenAiCompatibleTeacher.Create(endpoint, "m", "key", new TeacherCallOptions());   // default: 6 retries from 1 s

        var ex = await Assert.ThrowsAsync<TeacherUnavailableException>(() =>
            new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, Options(svamp, ServerTestData.NewFolder())).AnnotateAsync(svamp.View(40)));

        Assert.Contains($"endpoint {endpoint}", ex.Message);
        Assert.Contains("Nothing answers at", ex.Message);
        Assert.Equal(1, Assert.IsType<TeacherCallFailedException>(ex.InnerException).Attempts);
    }

    [Theory]
    [InlineData(401, "rejected the API key")]
    [InlineData(404, "check --model")]
    public async Task A_rejected_key_or_an_unknown_model_stops_the_run_after_the_first_answers(int status, string hint)
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(status == 404 ? _ => null : svamp.Responder(),
            new FakeServerOptions { ExpectedApiKey = status == 401 ? "other" : ServerTestData.ApiKey });
        using var teacher = OpenAiCompatibleTeacher.Create(server.BaseUri, "no-such-model", ServerTestData.ApiKey, new TeacherCallOptions { MaxConcurrency = 8 });

        var ex = await Assert.ThrowsAsync<TeacherUnavailableException>(() =>
            new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, Options(svamp, ServerTestData.NewFolder(), concurrency: 8)).AnnotateAsync(svamp.View(100)));

        Assert.Contains($"HTTP {status}", ex.Message);
        Assert.Contains("model no-such-model", ex.Message);
        Assert.Contains(hint, ex.Message);
        Assert.InRange(server.RequestCount, 1, 8);   // at most the first window of requests, none retried
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
