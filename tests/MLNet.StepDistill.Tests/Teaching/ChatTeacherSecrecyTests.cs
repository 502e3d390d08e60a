using System.Collections.Concurrent;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>The API key travels in the Authorization header and nowhere else we write.</summary>
public class ChatTeacherSecrecyTests
{
    private const string Key = "sk-DISTINCTIVE-7f3a9c41-do-not-leak";

    [Fact]
    public async Task The_key_is_sent_but_never_lands_in_cache_files_notices_warnings_or_failures()
    {
        var rows = ServerTestData.SvampRows(4);
        var folder = ServerTestData.NewFolder();
        var written = new ConcurrentQueue<string>();
        var failures = new List<Exception>();
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows),
            new FakeServerOptions { ExpectedApiKey = Key, FailFirstAttempts = 1, FirstAttemptsFault = FakeFault.TooManyRequests, RetryAfterSeconds = 0, RetryAfterMilliseconds = 1 });
        var options = ServerTestData.FastOptions(maxRetries: 2, onRetry: n => written.Enqueue(n.ToString()));

        using (var teacher = ServerTestData.Teacher(server, options, apiKey: Key))
        using (var cache = TeacherCallCache.Open(folder, written.Enqueue))
        {
            written.Enqueue(teacher.CacheIdentity);
            var caching = new CachingTeacher(teacher, cache);
            await Task.WhenAll(rows.Select(r => caching.CompleteAsync(ServerTestData.Prompt(r), new TeacherSampling(), CancellationToken.None)));
            failures.Add(await Assert.ThrowsAsync<TeacherCallFailedException>(() =>
                caching.CompleteAsync(new TeacherPrompt("x", null, "Unrecorded?"), new TeacherSampling(), CancellationToken.None)));
        }
        using (TeacherCallCache.Open(folder, written.Enqueue))
        {
        }

        Assert.Contains("Bearer " + Key, server.AuthorizationHeaders);
        Assert.Equal(4, Directory.GetFiles(folder).SelectMany(File.ReadLines).Count());
        Assert.All(Directory.GetFiles(folder), f => Assert.DoesNotContain(Key, File.ReadAllText(f)));
        Assert.NotEmpty(written);
        Assert.All(written, w => Assert.DoesNotContain(Key, w));
        Assert.All(failures, f => Assert.DoesNotContain(Key, f.ToString()));
    }

    [Fact]
    public async Task A_server_that_echoes_the_key_in_its_401_does_not_get_it_into_the_failure()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { ExpectedApiKey = "the-right-key", EchoAuthorizationInErrors = true });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(), apiKey: Key);

        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => teacher.CompleteAsync(ServerTestData.Prompt(row), new TeacherSampling(), CancellationToken.None));

        Assert.Equal((1, 401), (failure.Attempts, failure.LastStatus));
        Assert.Contains("***", failure.Message);
        Assert.DoesNotContain(Key, failure.Message);
        Assert.DoesNotContain(Key, failure.ToString());
    }
}
