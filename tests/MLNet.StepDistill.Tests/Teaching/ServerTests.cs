using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>The fake server itself, spoken to with a plain HttpClient: wire format, key check, counting, faults.</summary>
public class ServerTests
{
    private static HttpRequestMessage Post(FakeChatCompletionsServer server, string user, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, server.BaseUri + "/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new
            {
                model = "m",
                messages = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = user } },
                temperature = 0.5,
                max_completion_tokens = 42,
            }), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return request;
    }

    [Fact]
    public async Task Answers_in_the_chat_completions_wire_format_with_the_recorded_completion()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var http = new HttpClient();

        using var response = await http.SendAsync(Post(server, row.Question, ServerTestData.ApiKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("http://127.0.0.1:", server.BaseUri.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.StartsWith("chatcmpl-", root.GetProperty("id").GetString());
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.True(root.GetProperty("created").GetInt64() > 1_600_000_000);
        Assert.Equal("m", root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(row.Completion, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(2 + row.Question.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(row.Completion.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());

        var seen = Assert.Single(server.Requests);
        Assert.Equal(("m", 0.5, 42, "Be brief.", row.Question), (seen.Model, seen.Temperature, seen.MaxTokens, seen.SystemPrompt, seen.UserPrompt));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Rejects_a_missing_or_wrong_key_with_401(string? key)
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var http = new HttpClient();

        using var response = await http.SendAsync(Post(server, row.Question, key));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_api_key", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, server.CompletionCount);
        Assert.Equal([key is null ? "" : "Bearer " + key], server.AuthorizationHeaders);
    }

    [Fact]
    public async Task Unknown_prompt_gets_404_with_an_error_body()
    {
        await using var server = await FakeChatCompletionsServer.StartAsync(_ => null);
        using var http = new HttpClient();

        using var response = await http.SendAsync(Post(server, "What is not recorded?", ServerTestData.ApiKey));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unknown_prompt", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Fails_the_first_attempts_of_each_prompt_then_answers_and_counts_per_prompt()
    {
        var rows = ServerTestData.SvampRows(2);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows),
            new FakeServerOptions { FailFirstAttempts = 2, FirstAttemptsFault = FakeFault.TooManyRequests, RetryAfterSeconds = 3, RetryAfterMilliseconds = 7 });
        using var http = new HttpClient();

        var statuses = new List<int>();
        foreach (var row in new[] { rows[0], rows[0], rows[1], rows[0] })
        {
            using var response = await http.SendAsync(Post(server, row.Question, ServerTestData.ApiKey));
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("3", response.Headers.GetValues("Retry-After").Single());
                Assert.Equal("7", response.Headers.GetValues("retry-after-ms").Single());
            }
        }

        Assert.Equal([429, 429, 429, 200], statuses);
        Assert.Equal(3, server.RequestsFor(rows[0].Question));
        Assert.Equal(1, server.RequestsFor(rows[1].Question));
        Assert.Equal(4, server.RequestCount);
        Assert.Equal(1, server.CompletionCount);
    }

    [Fact]
    public async Task Malformed_body_is_not_json_and_a_dropped_connection_gives_no_answer()
    {
        var row = ServerTestData.SvampRows(1)[0];
        using var http = new HttpClient();
        await using (var malformed = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.MalformedBody }))
        {
            using var response = await http.SendAsync(Post(malformed, row.Question, ServerTestData.ApiKey));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));
        }
        await using var dropping = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.DropConnection });
        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(Post(dropping, row.Question, ServerTestData.ApiKey)));
    }

    [Fact]
    public async Task Random_faults_follow_the_seed()
    {
        var row = ServerTestData.SvampRows(1)[0];
        async Task<List<int>> Statuses()
        {
            await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
                new FakeServerOptions { FaultFraction = 0.5, RandomFaults = [FakeFault.ServerError, FakeFault.TooManyRequests], Seed = 42 });
            using var http = new HttpClient();
            var statuses = new List<int>();
            for (var i = 0; i < 12; i++)
            {
                using var response = await http.SendAsync(Post(server, row.Question, ServerTestData.ApiKey));
                statuses.Add((int)response.StatusCode);
            }
            return statuses;
        }

        var first = await Statuses();
        var second = await Statuses();

        Assert.Equal(first, second);
        Assert.Contains(200, first);
        Assert.Contains(first, s => s != 200);
    }
}
