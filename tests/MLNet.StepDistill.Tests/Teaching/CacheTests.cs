using System.Text;
using System.Text.Json;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>The teacher-call cache on disk and the caching teacher in front of a real HTTP teacher.</summary>
public class CacheTests
{
    private static readonly TeacherSampling Greedy = new();

    [Fact]
    public async Task A_second_run_of_the_same_prompts_makes_no_requests()
    {
        var rows = ServerTestData.SvampRows(6);
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows));
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        TeacherCallStats firstStats;
        using (var cache = TeacherCallCache.Open(folder))
        {
            var caching = new CachingTeacher(teacher, cache);
            var first = await Task.WhenAll(rows.Select(r => caching.CompleteAsync(ServerTestData.Prompt(r), Greedy, CancellationToken.None)));
            Assert.Equal(rows.Select(r => r.Completion), first.Select(a => Assert.Single(a).Text));
            firstStats = caching.Stats;
        }
        Assert.Equal(6, server.RequestCount);
        Assert.Equal((6L, 0L, 0L), (firstStats.Calls, firstStats.CacheHits, firstStats.Failures));
        Assert.Equal(rows.Sum(r => (long)FakeChatCompletionsServer.WordCount(r.Question)), firstStats.PromptTokens);
        Assert.Equal(rows.Sum(r => (long)FakeChatCompletionsServer.WordCount(r.Completion)), firstStats.CompletionTokens);

        using (var reopened = TeacherCallCache.Open(folder))
        {
            var caching = new CachingTeacher(teacher, reopened);
            var second = await Task.WhenAll(rows.Select(r => caching.CompleteAsync(ServerTestData.Prompt(r), Greedy, CancellationToken.None)));

            Assert.Equal(rows.Select(r => r.Completion), second.Select(a => Assert.Single(a).Text));
            Assert.Equal(new TeacherCallStats(0, 6, 0, 0, 0), caching.Stats);
            Assert.Null(reopened.WritePath);
        }
        Assert.Equal(6, server.RequestCount);
    }

    [Fact]
    public async Task Identical_prompts_asked_at_once_share_one_request()
    {
        var row = ServerTestData.SvampRows(1)[0];
        await using var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder([row]),
            new FakeServerOptions { Latency = TimeSpan.FromMilliseconds(200) });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
        using var cache = TeacherCallCache.Open(ServerTestData.NewFolder());
        var caching = new CachingTeacher(teacher, cache);

        // Eight rows whose prompts are the same text (e.g. duplicated questions), asked concurrently.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            caching.CompleteAsync(ServerTestData.Prompt(row) with { RowId = "dup-" + i }, Greedy, CancellationToken.None)));

        Assert.All(answers, a => Assert.Equal(row.Completion, Assert.Single(a).Text));
        Assert.Equal(1, server.RequestCount);
        Assert.Equal((1L, 7L, 0L), (caching.Stats.Calls, caching.Stats.CacheHits, caching.Stats.Failures));
    }

    [Fact]
    public async Task Failed_calls_are_counted_and_not_cached()
    {
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(_ => null);
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
        using var cache = TeacherCallCache.Open(folder);
        var caching = new CachingTeacher(teacher, cache);
        var prompt = new TeacherPrompt("r1", null, "Unrecorded?");

        await Assert.ThrowsAsync<TeacherCallFailedException>(() => caching.CompleteAsync(prompt, Greedy, CancellationToken.None));
        await Assert.ThrowsAsync<TeacherCallFailedException>(() => caching.CompleteAsync(prompt, Greedy, CancellationToken.None));

        Assert.Equal(new TeacherCallStats(2, 0, 2, 0, 0), caching.Stats);
        Assert.Equal(0, cache.Count);
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task Only_missing_samples_are_asked_for_and_a_failed_sample_keeps_the_others()
    {
        using var cache = TeacherCallCache.Open(ServerTestData.NewFolder());
        var inner = new ScriptedTeacher(failOnCall: 3);
        var caching = new CachingTeacher(inner, cache);
        var prompt = new TeacherPrompt("r1", "sys", "Q?");

        var one = await caching.CompleteAsync(prompt, Greedy with { Samples = 1 }, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<TeacherCallFailedException>(() => caching.CompleteAsync(prompt, Greedy with { Samples = 3 }, CancellationToken.None));
        var three = await caching.CompleteAsync(prompt, Greedy with { Samples = 3 }, CancellationToken.None);

        // Call 1 gave sample 0; calls 2 and 3 were samples 1 and 2, one of them failed; call 4 filled the gap.
        Assert.Equal(4, inner.Calls);
        Assert.Equal(one[0] with { Cached = true }, three[0]);   // the second time it is a cache hit
        Assert.Equal(3, three.Select(c => c.Text).Distinct().Count());
        Assert.Equal(new TeacherCallStats(4, 3, 1, 0, 0), caching.Stats);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void A_torn_last_line_is_skipped_with_a_warning_and_the_rest_still_hits()
    {
        var folder = ServerTestData.NewFolder();
        var prompts = Enumerable.Range(0, 3).Select(i => new TeacherPrompt($"r{i}", null, $"Question {i}?")).ToArray();
        string path;
        using (var cache = TeacherCallCache.Open(folder))
        {
            foreach (var p in prompts)
            {
                cache.Add(TeacherCallCache.ComputeKey("t", p, Greedy, 0), new TeacherCompletion("Answer to " + p.User, 3, 4), "t", 0);
            }
            path = cache.WritePath!;
        }
        // A crash in the middle of the fourth record: half a line, no newline.
        var fourth = new TeacherPrompt("r3", null, "Question 3?");
        var fullLine = File.ReadLines(path).First();
        File.AppendAllText(path, fullLine[..(fullLine.Length / 2)].Replace(TeacherCallCache.ComputeKey("t", prompts[0], Greedy, 0), TeacherCallCache.ComputeKey("t", fourth, Greedy, 0)));

        var warnings = new List<string>();
        using var reopened = TeacherCallCache.Open(folder, warnings.Add);

        var warning = Assert.Single(warnings);
        Assert.Contains(path + ":4:", warning);
        Assert.Equal(3, reopened.Count);
        foreach (var p in prompts)
        {
            Assert.True(reopened.TryGet(TeacherCallCache.ComputeKey("t", p, Greedy, 0), out var hit));
            Assert.Equal(new TeacherCompletion("Answer to " + p.User, 3, 4), hit);
        }
        Assert.False(reopened.TryGet(TeacherCallCache.ComputeKey("t", fourth, Greedy, 0), out _));
    }

    [Fact]
    public void Any_unreadable_line_is_skipped_with_a_warning_naming_its_line()
    {
        var folder = ServerTestData.NewFolder();
        var key = TeacherCallCache.ComputeKey("t", new TeacherPrompt("r", null, "Q"), Greedy, 0);
        File.WriteAllLines(Path.Combine(folder, "hand-written.jsonl"),
        [
            "{\"key\":\"" + key + "\",\"text\":\"kept\"}",
            "garbage \u0000 not json",
            "{\"text\":\"no key\"}",
            "",
            "[1,2,3]",
        ]);

        var warnings = new List<string>();
        using var cache = TeacherCallCache.Open(folder, warnings.Add);

        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet(key, out var kept));
        Assert.Equal("kept", kept.Text);
        Assert.Equal(3, warnings.Count);
        Assert.Contains(":2:", warnings[0]);
        Assert.Contains(":3:", warnings[1]);
        Assert.Contains(":5:", warnings[2]);
    }

    [Fact]
    public async Task Concurrent_writes_from_many_tasks_give_one_valid_line_per_record()
    {
        var folder = ServerTestData.NewFolder();
        const int tasks = 32, perTask = 25;
        string path;
        using (var cache = TeacherCallCache.Open(folder))
        {
            await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < perTask; i++)
                {
                    var prompt = new TeacherPrompt($"{t}-{i}", null, $"Task {t} question {i}: " + new string('x', 200 + i));
                    cache.Add(TeacherCallCache.ComputeKey("t", prompt, Greedy, 0), new TeacherCompletion($"answer {t}/{i}\nwith a newline and \"quotes\""), "t", 0);
                }
            })));
            path = cache.WritePath!;
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(tasks * perTask, lines.Length);
        Assert.All(lines, line => Assert.StartsWith("answer ", JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()));
        var warnings = new List<string>();
        using var reopened = TeacherCallCache.Open(folder, warnings.Add);
        Assert.Empty(warnings);
        Assert.Equal(tasks * perTask, reopened.Count);
    }

    [Fact]
    public async Task Two_caches_writing_to_one_folder_at_once_keep_each_others_records()
    {
        // Two open caches stand in for two processes: each appends to its own file, so lines never interleave.
        var folder = ServerTestData.NewFolder();
        using (var a = TeacherCallCache.Open(folder))
        using (var b = TeacherCallCache.Open(folder))
        {
            await Task.WhenAll(
                Task.Run(() => Fill(a, "a")),
                Task.Run(() => Fill(b, "b")));
            Assert.NotEqual(a.WritePath, b.WritePath);
        }

        var warnings = new List<string>();
        using var reopened = TeacherCallCache.Open(folder, warnings.Add);
        Assert.Empty(warnings);
        Assert.Equal(400, reopened.Count);
        Assert.Equal(2, Directory.GetFiles(folder, "*.jsonl").Length);

        static void Fill(TeacherCallCache cache, string who)
        {
            for (var i = 0; i < 200; i++)
            {
                var prompt = new TeacherPrompt($"{who}{i}", null, $"{who} question {i}");
                cache.Add(TeacherCallCache.ComputeKey("t", prompt, Greedy, 0), new TeacherCompletion($"{who} answer {i}"), "t", 0);
            }
        }
    }

    [Fact]
    public void The_key_covers_teacher_messages_sampling_and_sample_index_but_not_the_row_id()
    {
        var prompt = new TeacherPrompt("row-1", "sys", "Q?");
        var sampling = new TeacherSampling(0.5f, 64, Samples: 2);
        var key = TeacherCallCache.ComputeKey("teacher-a", prompt, sampling, 0);

        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, TeacherCallCache.ComputeKey("teacher-a", prompt with { RowId = "row-2" }, sampling, 0));
        Assert.Equal(key, TeacherCallCache.ComputeKey("teacher-a", prompt, sampling with { Samples = 5 }, 0));
        var different = new[]
        {
            TeacherCallCache.ComputeKey("teacher-b", prompt, sampling, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt with { System = "other" }, sampling, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt with { System = null }, sampling, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt with { User = "Q?!" }, sampling, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt, sampling with { Temperature = 0.7f }, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt, sampling with { MaxOutputTokens = 65 }, 0),
            TeacherCallCache.ComputeKey("teacher-a", prompt, sampling, 1),
            // Moving text between the messages must not collide.
            TeacherCallCache.ComputeKey("teacher-a", new TeacherPrompt("row-1", "sysQ", "?"), sampling, 0),
        };
        Assert.Equal(different.Length + 1, different.Append(key).Distinct().Count());
        Assert.Equal(
            TeacherCallCache.ComputeKey("t", prompt with { System = null }, sampling, 0),
            TeacherCallCache.ComputeKey("t", prompt with { System = "" }, sampling, 0));
    }

    /// <summary>An in-memory teacher that answers "completion N" for its Nth call and fails one chosen call.</summary>
    private sealed class ScriptedTeacher(int failOnCall) : ITeacher
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public string CacheIdentity => "scripted";

        public Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
        {
            Assert.Equal(1, sampling.Samples);
            var call = Interlocked.Increment(ref calls);
            return call == failOnCall
                ? Task.FromException<IReadOnlyList<TeacherCompletion>>(new TeacherCallFailedException("scripted failure", 1, 500))
                : Task.FromResult<IReadOnlyList<TeacherCompletion>>([new TeacherCompletion("completion " + call)]);
        }
    }
}
