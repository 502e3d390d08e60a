using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>
/// The chat teacher through the real client stack: OpenAI SDK behind IChatClient -> ChatClientTeacher (Polly) ->
/// HTTP -> the fake server on loopback. Request counts are taken at the server.
/// </summary>
public class ChatTeacherTests
{
    private static int Words(string text) => FakeChatCompletionsServer.WordCount(text);

    [Fact]
    public async Task Answers_come_back_with_the_recorded_text_and_the_reported_usage()
    {
        var rows = ServerTestData.SvampRows(4);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows));
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        foreach (var row in rows)
        {
            var completion = Assert.Single(await teacher.CompleteAsync(ServerTestData.Prompt(row, "Think step by step."), new TeacherSampling(), CancellationToken.None));
            Assert.Equal(row.Completion, completion.Text);
            Assert.Equal(Words("Think step by step.") + Words(row.Question), completion.PromptTokens);
            Assert.Equal(Words(row.Completion), completion.CompletionTokens);
        }
        Assert.Equal(4, server.RequestCount);
        // A loopback endpoint's identity has no port: the same local model behind a restarted server keeps its cache.
        Assert.Equal($"openai-compatible|http://localhost/v1|{ServerTestData.Model}", teacher.CacheIdentity);
    }

    [Fact]
    public async Task Prompt_and_sampling_become_the_wire_request_and_samples_become_separate_requests()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var completions = await teacher.CompleteAsync(ServerTestData.Prompt(row, "You are a careful tutor."), new TeacherSampling(0.7f, 123, Samples: 3), CancellationToken.None);

        Assert.Equal(3, completions.Count);
        Assert.All(completions, c => Assert.Equal(row.Completion, c.Text));
        Assert.Equal(3, server.RequestsFor(row.Question));
        Assert.All(server.Requests, r =>
        {
            Assert.Equal(ServerTestData.Model, r.Model);
            Assert.Equal(0.7, r.Temperature!.Value, 5);
            Assert.Equal(123, r.MaxTokens);
            Assert.Equal(["system", "user"], r.Messages.Select(m => m.Role));
            Assert.Equal("You are a careful tutor.", r.SystemPrompt);
        });
    }

    [Fact]
    public async Task No_system_message_is_sent_when_the_prompt_has_none()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None);

        Assert.Equal(["user"], Assert.Single(server.Requests).Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task A_429_Retry_After_is_honoured_and_the_call_then_succeeds()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.TooManyRequests, RetryAfterSeconds = 1 });
        var notices = new ConcurrentQueue<TeacherRetryNotice>();
        var options = ServerTestData.FastOptions(onRetry: notices.Enqueue, maxDelay: TimeSpan.FromSeconds(5));
        using var teacher = ServerTestData.Teacher(server, options);

        var completion = Assert.Single(await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal(row.Completion, completion.Text);
        var notice = Assert.Single(notices);
        Assert.Equal((1, 429, true, TimeSpan.FromSeconds(1)), (notice.Attempt, notice.Status, notice.FromRetryAfter, notice.Delay));
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        // A lower bound the retry must respect, not a speed measurement.
        Assert.True(requests[1].ReceivedAt - requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(950),
            $"retried after {(requests[1].ReceivedAt - requests[0].ReceivedAt).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Retry_After_longer_than_MaxDelay_is_capped()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.TooManyRequests, RetryAfterSeconds = 30 });
        var notices = new ConcurrentQueue<TeacherRetryNotice>();
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(onRetry: notices.Enqueue));

        await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None);

        Assert.Equal(TimeSpan.FromMilliseconds(20), Assert.Single(notices).Delay);
    }

    [Theory]
    [InlineData(FakeFault.ServerError, 500)]
    [InlineData(FakeFault.TooManyRequests, 429)]
    [InlineData(FakeFault.DropConnection, null)]
    [InlineData(FakeFault.MalformedBody, null)]
    public async Task Transient_faults_are_retried_by_our_policy_alone(FakeFault fault, int? status)
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 2, FirstAttemptsFault = fault, RetryAfterSeconds = 0, RetryAfterMilliseconds = 2 });
        var notices = new ConcurrentQueue<TeacherRetryNotice>();
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 3, onRetry: notices.Enqueue));

        var completion = Assert.Single(await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal(row.Completion, completion.Text);
        // Exactly two failures and one success reached the server: the SDK made no retries of its own.
        Assert.Equal(3, server.RequestsFor(row.Question));
        Assert.Equal([1, 2], notices.Select(n => n.Attempt));
        Assert.All(notices, n => Assert.Equal(status, n.Status));
    }

    [Fact]
    public async Task With_no_retries_one_server_error_is_one_request_and_a_typed_failure()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.ServerError });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 0));

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((1, 500), (failure.Attempts, failure.LastStatus));
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task When_all_retries_are_spent_the_call_fails_with_the_attempt_count_and_last_status()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = int.MaxValue, FirstAttemptsFault = FakeFault.ServerError });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 2));

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((3, 500), (failure.Attempts, failure.LastStatus));
        Assert.Contains("after 3 attempt(s) (retries spent)", failure.Message);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task A_malformed_body_every_time_fails_clearly_once_retries_are_spent()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { FailFirstAttempts = int.MaxValue, FirstAttemptsFault = FakeFault.MalformedBody });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 1));

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((2, (int?)null), (failure.Attempts, failure.LastStatus));
        Assert.Contains("unreadable response body", failure.Message);
    }

    [Fact]
    public async Task A_404_on_the_first_call_is_not_retried_and_says_the_model_or_path_is_wrong()
    {
        await using var server = await FakeChatCompletionsServer.StartAsync(_ => null);
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 3));

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(new TeacherPrompt("r1", null, "Unrecorded?"), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((1, 404), (failure.Attempts, failure.LastStatus));
        Assert.True(failure.TeacherUnreachable);
        Assert.Contains($"model {ServerTestData.Model}", failure.Message);
        Assert.Contains("check --model", failure.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task A_404_after_a_call_succeeded_fails_only_that_call()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 3));
        await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None);

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(new TeacherPrompt("r1", null, "Unrecorded?"), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((1, 404), (failure.Attempts, failure.LastStatus));
        Assert.False(failure.TeacherUnreachable);
        Assert.Contains("not retryable", failure.Message);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task The_per_call_timeout_abandons_a_slow_answer_and_retries_it()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { Latency = TimeSpan.FromSeconds(30) });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 1, perCallTimeout: TimeSpan.FromMilliseconds(150)));

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((2, (int?)null), (failure.Attempts, failure.LastStatus));
        Assert.Contains("no answer within 150 ms", failure.Message);
        // The abandoned second request may reach the server's handler after the client gave up on it (a loaded machine).
        for (var waited = 0; server.RequestsFor(row.Question) < 2 && waited < 5000; waited += 20)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, server.RequestsFor(row.Question));
    }

    [Fact]
    public async Task Cancellation_stops_the_call_in_flight_and_the_calls_still_queued()
    {
        var rows = ServerTestData.SvampRows(10);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows),
            new FakeServerOptions { Latency = TimeSpan.FromSeconds(30) });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 1));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var calls = rows.Select(r => teacher.CompleteAsync(ServerTestData.Prompt(r), new TeacherSampling(), cancel.Token)).ToArray();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(calls));

        Assert.All(calls, c => Assert.True(c.IsCanceled, $"a call ended {c.Status}"));
        Assert.InRange(server.RequestCount, 0, 1);
    }

    [Fact]
    public async Task The_concurrency_limit_holds_at_the_server()
    {
        var rows = ServerTestData.SvampRows(8);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows),
            new FakeServerOptions { Latency = TimeSpan.FromMilliseconds(40) });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 2));

        await Task.WhenAll(rows.Select(r => teacher.CompleteAsync(ServerTestData.Prompt(r), new TeacherSampling(), CancellationToken.None)));

        Assert.Equal(8, server.CompletionCount);
        Assert.InRange(server.MaxConcurrentRequests, 1, 2);
    }

    [Fact]
    public async Task The_request_rate_limit_spreads_request_starts()
    {
        var rows = ServerTestData.SvampRows(20);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows));
        // 10 requests/s: one token every 100 ms on the limiter's own timer, so 20 requests need 19 refills after the
        // first start: more than 1.8 s at the limiter, whatever the timer's phase. The bound leaves 0.4 s for a busy
        // machine delaying the first requests more than the last; without the limit the 20 arrive within 30 ms on a
        // quiet machine and within 0.8 s at the worst seen under a load average of 9.
        // A first request through a teacher without the limit warms the server and the client code paths, so the timed
        // requests are not compressed by the first one's JIT and connection setup.
        using (var warm = ServerTestData.Teacher(server, ServerTestData.FastOptions()))
        {
            await warm.CompleteAsync(ServerTestData.Prompt(rows[0]), new TeacherSampling(), CancellationToken.None);
        }

        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(requestsPerSecond: 10));

        await Task.WhenAll(rows.Select(r => teacher.CompleteAsync(ServerTestData.Prompt(r), new TeacherSampling(), CancellationToken.None)));

        var times = server.Requests.Select(r => r.ReceivedAt).Order().Skip(1).ToArray();
        Assert.Equal(20, times.Length);
        Assert.True(times[^1] - times[0] >= TimeSpan.FromMilliseconds(1400), $"20 requests within {(times[^1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Seeded_random_faults_of_every_kind_are_ridden_out()
    {
        var rows = ServerTestData.SvampRows(16);
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows),
            new FakeServerOptions { FaultFraction = 0.3, Seed = 7, RetryAfterSeconds = 0, RetryAfterMilliseconds = 1 });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxRetries: 10));

        var answers = await Task.WhenAll(rows.Select(r => teacher.CompleteAsync(ServerTestData.Prompt(r), new TeacherSampling(), CancellationToken.None)));

        Assert.Equal(rows.Select(r => r.Completion), answers.Select(a => Assert.Single(a).Text));
        Assert.True(server.RequestCount > rows.Count, "no fault was injected");
        Assert.Equal(rows.Count, server.CompletionCount);
    }

    [Fact]
    public async Task Any_chat_client_works_and_its_metadata_gives_the_cache_identity()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]));
        using var chatClient = new OpenAI.Chat.ChatClient("some-model", new System.ClientModel.ApiKeyCredential(ServerTestData.ApiKey),
            new OpenAI.OpenAIClientOptions { Endpoint = server.BaseUri }).AsIChatClient();
        using var teacher = new ChatClientTeacher(chatClient, options: ServerTestData.FastOptions());

        var completion = Assert.Single(await teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal(row.Completion, completion.Text);
        Assert.Equal("some-model", Assert.Single(server.Requests).Model);
        Assert.Equal("openai|http://localhost/v1|some-model", teacher.CacheIdentity);
    }

    [Fact]
    public void Cache_identity_never_carries_credentials_from_the_endpoint()
    {
        var identity = ChatClientTeacher.BuildCacheIdentity("openai-compatible", new Uri("https://user:pa55@example.com/v1/?api-key=abc#x"), "gpt-4o-mini");

        Assert.Equal("openai-compatible|https://example.com/v1|gpt-4o-mini", identity);
    }

    [Fact]
    public void Out_of_range_options_name_the_option()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TeacherCallOptions { MaxConcurrency = 0 }.Validate());
        Assert.Contains("TeacherCallOptions.MaxConcurrency", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new TeacherCallOptions { RequestsPerSecond = -1 }.Validate());
        Assert.Contains("TeacherCallOptions.RequestsPerSecond", e.Message);
    }
}
