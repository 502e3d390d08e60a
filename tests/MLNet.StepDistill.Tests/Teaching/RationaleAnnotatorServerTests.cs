using System.Collections.Concurrent;
using Microsoft.ML;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>The annotator against a real OpenAI-compatible server on loopback that answers with the shipped PaLM completions.</summary>
public class RationaleAnnotatorServerTests
{
    private static readonly string[] Columns = ["id", "Rationale", "TeacherLabel", "AnnotationStatus"];

    [Fact]
    public async Task Cqa_test_over_http_matches_the_recorded_teacher_and_a_second_run_makes_no_calls()
    {
        var cqa = RecordedSplit.Open("cqa", "test");
        var folder = ServerTestData.NewFolder();
        var mlContext = new MLContext(seed: 1);
        var data = cqa.View();
        await using var server = await FakeChatCompletionsServer.StartAsync(cqa.Responder());

        AnnotationResult first;
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 16)))
        {
            var transformer = await mlContext.StepDistill().AnnotateRationales(teacher, Options(cqa, folder)).FitAsync(data);
            first = await transformer.AnnotateAsync(data);
        }
        var recordedTeacher = RecordedTeacher.Open(cqa.Dataset.Manifest, "test", "palm-540b");
        var recorded = await (await mlContext.StepDistill().AnnotateRationales(recordedTeacher, Options(cqa, folder)).FitAsync(data)).AnnotateAsync(data);

        Assert.Equal(1221, first.Rows.Count);
        Assert.Equal(1221, server.CompletionCount);
        Assert.All(server.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
        Assert.Equal(1221, first.Report.Calls);
        Assert.Equal(ReadRows(recorded.Data, Columns), ReadRows(first.Data, Columns));
        for (var i = 0; i < cqa.Examples.Count; i++)
        {
            var reference = cqa.Reference(cqa.Examples[i]);
            Assert.Equal(cqa.Examples[i].Id, first.Rows[i].Id);
            Assert.Equal(reference.Rationale, first.Rows[i].Rationale);
            Assert.Equal(reference.Label ?? "", first.Rows[i].TeacherLabel);
            Assert.Equal(reference.IsOk ? AnnotationStatus.Ok : AnnotationStatus.ParseFailed, first.Rows[i].Status);
        }

        var requestsBefore = server.RequestCount;
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 16)))
        {
            var again = await (await mlContext.StepDistill().AnnotateRationales(teacher, Options(cqa, folder)).FitAsync(data)).AnnotateAsync(data);
            Assert.Equal(requestsBefore, server.RequestCount);
            Assert.Equal(0, again.Report.Calls);
            Assert.Equal(1221, again.Report.CacheHits);
            Assert.Equal(ReadRows(first.Data, Columns), ReadRows(again.Data, Columns));
        }
    }

    [Fact]
    public async Task With_injected_faults_rows_end_ok_or_call_failed_in_order_and_a_rerun_repeats_only_the_failed_calls()
    {
        var cqa = RecordedSplit.Open("cqa", "test");
        var folder = ServerTestData.NewFolder();
        var mlContext = new MLContext(seed: 1);
        var examples = cqa.Examples.Take(300).ToArray();
        var data = cqa.View(300);
        var callOptions = ServerTestData.FastOptions(maxRetries: 1, maxConcurrency: 16, perCallTimeout: TimeSpan.FromSeconds(10));

        AnnotationResult faulty;
        await using (var server = await FakeChatCompletionsServer.StartAsync(cqa.Responder(),
            new FakeServerOptions { FaultFraction = 0.2, Seed = 42, RetryAfterSeconds = 0, RetryAfterMilliseconds = 1 }))
        using (var teacher = LoopbackTeacher(server, callOptions))
        {
            faulty = await (await mlContext.StepDistill().AnnotateRationales(teacher, Options(cqa, folder)).FitAsync(data)).AnnotateAsync(data);
        }

        var failedPrompts = new HashSet<string>(StringComparer.Ordinal);
        var prompt = RationalePrompt.ForDataset(cqa.Dataset.Manifest);
        for (var i = 0; i < examples.Length; i++)
        {
            var row = faulty.Rows[i];
            Assert.Equal(examples[i].Id, row.Id);
            var expected = cqa.Reference(examples[i]).IsOk ? AnnotationStatus.Ok : AnnotationStatus.ParseFailed;
            Assert.True(row.Status == expected || row.Status == AnnotationStatus.CallFailed, $"row {i} ended {row.Status}");
            if (row.Status == AnnotationStatus.CallFailed)
            {
                Assert.Contains("failed after 2 attempt(s)", row.Reason);
                failedPrompts.Add(prompt.Build(examples[i]).User);
            }
        }
        Assert.Equal(examples.Select(e => e.Id), ReadRows(faulty.Data, "id").Select(r => r[0]));
        Assert.InRange(failedPrompts.Count, 1, 60);
        Assert.Equal(failedPrompts.Count, faulty.Report.CallFailed);

        await using var clean = await FakeChatCompletionsServer.StartAsync(cqa.Responder());
        using var cleanTeacher = LoopbackTeacher(clean, callOptions);
        var rerun = await (await mlContext.StepDistill().AnnotateRationales(cleanTeacher, Options(cqa, folder)).FitAsync(data)).AnnotateAsync(data);

        Assert.Equal(failedPrompts.OrderBy(p => p, StringComparer.Ordinal), clean.RequestsPerPrompt.Keys.Order(StringComparer.Ordinal));
        Assert.All(clean.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, rerun.Report.CallFailed);
        Assert.Equal(failedPrompts.Count, rerun.Report.Calls);
        for (var i = 0; i < examples.Length; i++)
        {
            var reference = cqa.Reference(examples[i]);
            Assert.Equal(examples[i].Id, rerun.Rows[i].Id);
            Assert.Equal(reference.IsOk ? AnnotationStatus.Ok : AnnotationStatus.ParseFailed, rerun.Rows[i].Status);
            Assert.Equal(reference.Label ?? "", rerun.Rows[i].TeacherLabel);
        }
    }

    [Fact]
    public async Task The_api_key_never_reaches_the_cache_logs_failures_or_annotated_data()
    {
        const string Key = "sk-ANNOTATOR-5e0c71d2-must-not-leak";
        var svamp = RecordedSplit.Open("svamp", "test");
        var folder = ServerTestData.NewFolder();
        var mlContext = new MLContext(seed: 1);
        var logs = new ConcurrentQueue<string>();
        mlContext.Log += (_, e) => logs.Enqueue(e.Source + ": " + e.Message);
        var data = svamp.View(12);
        var everything = new List<string>();

        await using (var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { ExpectedApiKey = Key }))
        using (var teacher = OpenAiCompatibleTeacher.Create(server.BaseUri, "palm", Key, ServerTestData.FastOptions()))
        {
            var ok = await (await mlContext.StepDistill().AnnotateRationales(teacher, Options(svamp, folder)).FitAsync(data)).AnnotateAsync(data);
            Assert.Equal(12, ok.Report.Ok);
            Assert.Contains("Bearer " + Key, server.AuthorizationHeaders);
            everything.AddRange(ReadRows(ok.Data, Columns).SelectMany(r => r));
        }

        // A server that refuses the key and quotes it back in its error body, like a careless proxy.
        await using (var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { ExpectedApiKey = "other", EchoAuthorizationInErrors = true }))
        using (var teacher = OpenAiCompatibleTeacher.Create(server.BaseUri, "palm", Key, ServerTestData.FastOptions()))
        {
            // A rejected key stops the run at once with one message (not twelve call-failed rows).
            var refused = await Assert.ThrowsAsync<TeacherUnavailableException>(() => mlContext.StepDistill().AnnotateRationales(teacher, Options(svamp, ServerTestData.NewFolder())).AnnotateAsync(data));
            Assert.Contains("HTTP 401", refused.Message);
            Assert.True(server.RequestCount <= 16, $"{server.RequestCount} requests after a 401");
            everything.Add(refused.ToString());
        }

        Assert.Contains(logs, l => l.Contains("RationaleAnnotator") && l.Contains("done: 12 rows"));
        everything.AddRange(logs);
        everything.AddRange(Directory.GetFiles(folder).Select(File.ReadAllText));
        Assert.NotEmpty(Directory.GetFiles(folder));
        Assert.All(everything, text => Assert.DoesNotContain(Key, text));
    }
}
