using Microsoft.ML;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>Batch mode over real HTTP: the loopback server speaks the OpenAI Files + Batches protocol.</summary>
public class BatchAnnotationTests
{
    private static readonly string[] Columns = ["id", "Rationale", "TeacherLabel", "AnnotationStatus"];

    /// <summary>About one request in eight fails inside the batch, decided by the prompt's text (the same in every run).</summary>
    private static bool FailsInBatch(FakeChatRequest request) => (uint)StableHash(request.UserPrompt) % 8 == 0;

    [Fact]
    public async Task A_thousand_rows_with_failures_inside_the_batch_end_decided_in_order_with_the_live_paths_rationales_and_a_rerun_asks_nothing()
    {
        var cqa = RecordedSplit.Open("cqa", "test");
        var examples = cqa.Examples.Take(1000).ToArray();
        var data = cqa.View(1000);
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(cqa.Responder(), new FakeServerOptions { BatchRequestFails = FailsInBatch });
        var options = Options(cqa, folder);
        options.Batch = FastBatch(maxRequests: 400);

        AnnotationResult result;
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 16)))
        {
            result = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);
        }

        // 1,000 requests split 400 + 400 + 200; the failed ones asked again live, once each.
        Assert.Equal(3, server.Batches.BatchesCreated);
        Assert.Equal(3, result.Report.BatchesCreated);
        Assert.Equal(1000, server.Batches.RequestsAnswered + server.Batches.RequestsFailed);
        Assert.InRange(server.Batches.RequestsFailed, 60, 200);
        Assert.Equal(server.Batches.RequestsFailed, server.CompletionCount);
        Assert.All(server.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
        Assert.Equal(server.Batches.RequestsAnswered, result.Report.BatchedCalls);
        Assert.Equal(1000L, result.Report.Calls);
        Assert.Equal(examples.Select(e => e.Id), result.Rows.Select(r => r.Id));
        for (var i = 0; i < examples.Length; i++)
        {
            var reference = cqa.Reference(examples[i]);
            Assert.Equal(reference.IsOk ? AnnotationStatus.Ok : AnnotationStatus.ParseFailed, result.Rows[i].Status);
            Assert.Equal(reference.Rationale, result.Rows[i].Rationale);
            Assert.Equal(reference.Label ?? "", result.Rows[i].TeacherLabel);
        }

        // The batch's answers are in the same cache as live calls: a live re-run asks nothing.
        var before = server.RequestCount;
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 16)))
        {
            var again = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, Options(cqa, folder)).AnnotateAsync(data);
            Assert.Equal(0, again.Report.Calls);
            Assert.Equal(ReadRows(result.Data, Columns), ReadRows(again.Data, Columns));
        }
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 16)))
        {
            var batchAgain = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);
            Assert.Equal(0, batchAgain.Report.Calls);
        }
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task A_run_stopped_while_polling_resumes_the_same_batch_on_restart()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(30);
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        server.Batches.Hold = true;
        var options = Options(svamp, folder);
        options.Batch = FastBatch();

        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions()))
        using (var stop = new CancellationTokenSource())
        {
            var run = new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data, stop.Token);
            while (server.Batches.StatusReads < 3 && !run.IsCompleted)
            {
                await Task.Delay(10);
            }
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }
        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Single(Directory.GetFiles(Path.Combine(folder, "batches"), "batch-*.json"));

        server.Batches.Hold = false;
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions()))
        {
            var resumed = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);
            Assert.Equal(0, resumed.Report.BatchesCreated);
            Assert.Equal(30L, resumed.Report.BatchedCalls);
            Assert.Equal(30, resumed.Report.Ok + resumed.Report.ParseFailed);
        }
        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(1, server.Batches.FilesUploaded);
        Assert.Equal(0, server.CompletionCount);
    }

    [Fact]
    public async Task An_input_file_a_stopped_run_uploaded_is_deleted_when_the_restart_wants_other_requests()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var folder = ServerTestData.NewFolder();
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        server.Batches.Stall = FakeBatchStall.UploadReply;   // stored; the run never hears its id
        var options = Options(svamp, folder);
        options.Batch = FastBatch();

        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions()))
        using (var stop = new CancellationTokenSource())
        {
            var run = new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(svamp.View(30), stop.Token);
            while (server.Batches.Stalled == 0 && !run.IsCompleted)
            {
                await Task.Delay(10);
            }
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }
        server.Batches.Stall = FakeBatchStall.None;
        Assert.Equal((1, 0), (server.Batches.FilesUploaded, server.Batches.BatchesCreated));

        // The restart asks for 20 of those 30 rows: the file is found by its name and deleted, not run or left behind.
        using (var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions()))
        {
            var resumed = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(svamp.View(20));
            Assert.Equal(1, resumed.Report.BatchesCreated);
            Assert.Equal(20L, resumed.Report.BatchedCalls);
        }
        Assert.Equal(1, server.Batches.FilesDeleted);
        Assert.Equal(1, server.Batches.InputFileCount);
        Assert.Equal(1, server.Batches.BatchesCreated);
        Assert.Equal(20, server.Batches.Requests.Count);
        Assert.Equal(0, server.CompletionCount);
    }

    [Theory]
    [InlineData(FakeBatchOutcome.Failed)]
    [InlineData(FakeBatchOutcome.Expired)]
    [InlineData(FakeBatchOutcome.Cancelled)]
    public async Task Requests_a_failed_expired_or_cancelled_batch_did_not_answer_are_asked_live(FakeBatchOutcome outcome)
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(20);
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { BatchOutcome = outcome });
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Batch = FastBatch();
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var result = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);

        var unanswered = outcome == FakeBatchOutcome.Failed ? 20 : 10;
        Assert.Equal(20 - unanswered, server.Batches.RequestsAnswered);
        Assert.Equal(unanswered, server.CompletionCount);
        Assert.Equal(20, result.Report.Ok + result.Report.ParseFailed);
        Assert.Equal(20L, result.Report.Calls);
    }

    [Fact]
    public async Task With_follow_up_batches_failed_requests_go_into_new_batches_and_those_never_answered_end_call_failed()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var data = svamp.View(16);
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { BatchRequestFails = FailsInBatch });
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Batch = FastBatch(retry: BatchRetryMode.FollowUpBatch);
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var result = await new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(data);

        var failing = svamp.Examples.Take(16).Count(e => result.Rows.Single(r => r.Id == e.Id).Status == AnnotationStatus.CallFailed);
        Assert.True(failing > 0, "the test needs some requests that always fail inside a batch");
        Assert.Equal(1 + 2, server.Batches.BatchesCreated);   // the first batch and two follow-up rounds
        Assert.Equal(0, server.CompletionCount);               // nothing was asked live
        Assert.Equal(failing, result.Report.CallFailed);
        Assert.All(result.Rows.Where(r => r.Status == AnnotationStatus.CallFailed), r => Assert.Contains("HTTP 500", r.Reason));
    }

    [Fact]
    public async Task A_rejected_key_stops_a_batch_run_at_the_upload_with_one_message()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { ExpectedApiKey = "other" });
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Batch = FastBatch();
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());

        var ex = await Assert.ThrowsAsync<TeacherUnavailableException>(() => new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(svamp.View(10)));

        Assert.Contains("HTTP 401", ex.Message);
        Assert.Equal(0, server.Batches.FilesUploaded);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Batch_mode_with_a_teacher_that_has_no_batch_api_is_refused_with_what_to_use()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Batch = FastBatch();
        using var teacher = LoopbackTeacher(server, ServerTestData.FastOptions());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new MLContext(seed: 1).StepDistill().AnnotateRationales(teacher, options).AnnotateAsync(svamp.View(4)));

        Assert.Contains("OpenAiCompatibleTeacher.Create", ex.Message);
        Assert.Equal(0, server.RequestCount);
    }

    internal static TeacherBatchOptions FastBatch(int maxRequests = 50_000, BatchRetryMode retry = BatchRetryMode.Live) => new()
    {
        MaxRequestsPerBatch = maxRequests,
        PollInterval = TimeSpan.FromMilliseconds(5),
        MaxPollInterval = TimeSpan.FromMilliseconds(20),
        RetryFailed = retry,
    };

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked(hash * 31 + c);
        }
        return hash;
    }
}
