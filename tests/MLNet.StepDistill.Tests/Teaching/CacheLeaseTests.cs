using System.Diagnostics;
using System.Text.Json;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>
/// Empty lease files: what a process killed between creating its lease and writing its owner line leaves. A resumed
/// run must not wait for them: it takes over an empty lease whose writer is gone, or that is older than a few seconds.
/// The scene is the one measured before the fix (it waited 15 minutes): a cache missing 3 of 6 records, with an empty
/// lease on each of the 3 keys.
/// </summary>
public class CacheLeaseTests(ITestOutputHelper output)
{
    private static readonly TeacherSampling Greedy = new();

    [Fact]
    public async Task Empty_leases_older_than_a_few_seconds_are_taken_over_at_once_even_while_held_open()
    {
        await using var scene = await Scene.StartAsync();
        // Writers that hang between the two writes: their leases stay open, empty, and are a minute old.
        using var hung = new DisposableList(scene.Missing.Select(key =>
        {
            var writer = scene.OpenEmptyLease(key);
            File.SetLastWriteTimeUtc(scene.LeasePath(key), DateTime.UtcNow.AddMinutes(-1));
            return writer;
        }));

        var (elapsed, stats) = await scene.RunAgainAsync(cache => Assert.Equal(TimeSpan.FromSeconds(5), cache.Leases.EmptyStaleAfter));

        output.WriteLine($"re-run with 3 empty leases a minute old, their writers hung: {elapsed.TotalSeconds:0.000} s, {stats.Calls} calls");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"the run took {elapsed.TotalSeconds:0.0} s");
        scene.AssertOneCallPerMissingRow(stats);
    }

    [Fact]
    public async Task Empty_leases_whose_writer_is_gone_are_taken_over_at_once()
    {
        await using var scene = await Scene.StartAsync();
        // Writers between the two writes, as a creator holds its lease; they go (a killed process's files close alike).
        using var writers = new DisposableList(scene.Missing.Select(scene.OpenEmptyLease));

        // Only the writers going can free these leases: their age never will.
        var run = scene.RunAgainAsync(cache => cache.Leases.EmptyStaleAfter = TimeSpan.FromHours(1));
        await Task.Delay(500);
        Assert.False(run.IsCompleted, "the run did not wait for the live writers");
        Assert.Equal(6, scene.Server.RequestCount);
        writers.Dispose();
        var gone = Stopwatch.StartNew();
        var (_, stats) = await run;
        var after = gone.Elapsed;

        output.WriteLine($"re-run with 3 fresh empty leases: ended {after.TotalSeconds:0.000} s after their writers went, {stats.Calls} calls");
        Assert.True(after < TimeSpan.FromSeconds(5), $"the run ended {after.TotalSeconds:0.0} s after the writers went");
        scene.AssertOneCallPerMissingRow(stats);
    }

    /// <summary>Six SVAMP rows answered into a cache, then 3 of its records removed.</summary>
    private sealed class Scene : IAsyncDisposable
    {
        private readonly IReadOnlyList<RecordedRow> rows;
        private readonly ChatClientTeacher teacher;

        private Scene(FakeChatCompletionsServer server, IReadOnlyList<RecordedRow> rows, ChatClientTeacher teacher, string folder, string[] missing)
        {
            Server = server;
            this.rows = rows;
            this.teacher = teacher;
            Folder = folder;
            Missing = missing;
        }

        public FakeChatCompletionsServer Server { get; }

        public string Folder { get; }

        /// <summary>The keys whose records were removed.</summary>
        public string[] Missing { get; }

        public static async Task<Scene> StartAsync()
        {
            var rows = ServerTestData.SvampRows(6);
            var folder = ServerTestData.NewFolder();
            var server = await FakeChatCompletionsServer.StartAsync(ServerTestData.Responder(rows));
            var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
            using (var cache = TeacherCallCache.Open(folder))
            {
                var caching = new CachingTeacher(teacher, cache);
                await Task.WhenAll(rows.Select(r => caching.CompleteAsync(ServerTestData.Prompt(r), Greedy, CancellationToken.None)));
            }
            Assert.Equal(6, server.RequestCount);

            var missing = rows.Take(3).Select(r => TeacherCallCache.ComputeKey(teacher.CacheIdentity, ServerTestData.Prompt(r), Greedy, 0)).ToArray();
            var file = Assert.Single(Directory.GetFiles(folder, "*.jsonl"));
            File.WriteAllLines(file, File.ReadAllLines(file).Where(line => !missing.Contains(JsonDocument.Parse(line).RootElement.GetProperty("key").GetString())));
            Assert.Equal(3, File.ReadAllLines(file).Length);
            return new Scene(server, rows, teacher, folder, missing);
        }

        public string LeasePath(string key) => Path.Combine(Folder, "leases", key + ".lease");

        /// <summary>An empty lease held open the way its creator holds it until the owner line is written.</summary>
        public IDisposable OpenEmptyLease(string key)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(LeasePath(key))!);
            return new FileStream(LeasePath(key), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }

        /// <summary>All six rows again on a reopened cache (cancelled after 60 s: the old behaviour waited 15 minutes).</summary>
        public async Task<(TimeSpan Elapsed, TeacherCallStats Stats)> RunAgainAsync(Action<TeacherCallCache> before)
        {
            using var cache = TeacherCallCache.Open(Folder);
            before(cache);
            var caching = new CachingTeacher(teacher, cache);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var clock = Stopwatch.StartNew();
            var answers = await Task.WhenAll(rows.Select(r => caching.CompleteAsync(ServerTestData.Prompt(r), Greedy, timeout.Token)));
            Assert.Equal(rows.Select(r => r.Completion), answers.Select(a => Assert.Single(a).Text));
            return (clock.Elapsed, caching.Stats);
        }

        public void AssertOneCallPerMissingRow(TeacherCallStats stats)
        {
            Assert.Equal((3L, 3L, 0L), (stats.Calls, stats.CacheHits, stats.Failures));
            Assert.Equal(9, Server.RequestCount);
            Assert.All(rows.Take(3), r => Assert.Equal(2, Server.RequestsFor(r.Question)));
            Assert.All(rows.Skip(3), r => Assert.Equal(1, Server.RequestsFor(r.Question)));
            Assert.Empty(Directory.GetFiles(Path.Combine(Folder, "leases")));
        }

        public async ValueTask DisposeAsync()
        {
            teacher.Dispose();
            await Server.DisposeAsync();
        }
    }

    private sealed class DisposableList(IEnumerable<IDisposable> items) : IDisposable
    {
        private readonly List<IDisposable> items = [.. items];

        public void Dispose() => items.ForEach(i => i.Dispose());
    }
}
