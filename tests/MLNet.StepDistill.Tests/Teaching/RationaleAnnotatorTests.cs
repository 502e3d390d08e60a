using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.TestServer;
using Xunit;
using static MLNet.StepDistill.Tests.Teaching.AnnotationTestData;

namespace MLNet.StepDistill.Tests.Teaching;

public class RationaleAnnotatorTests
{
    private static readonly string[] Columns = ["id", "question", "equation", "Rationale", "TeacherLabel", "AnnotationStatus"];

    [Fact]
    public async Task Annotation_is_eager_one_call_per_row_and_cursors_repeat_sequentially_and_in_parallel()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var mlContext = new MLContext(seed: 1);
        var data = svamp.View(30);
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder());
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions());
        var options = Options(svamp, ServerTestData.NewFolder(), concurrency: 8);
        options.Prompt = RationalePrompt.ForDataset(svamp.Dataset.Manifest) with
        {
            Template = RationalePrompt.ForDataset(svamp.Dataset.Manifest).Template with { System = "Answer like the examples." },
        };

        var transformer = mlContext.StepDistill().AnnotateRationales(teacher, options).Fit(data);
        Assert.Equal(30, server.CompletionCount);
        var annotated = transformer.Transform(data);
        Assert.Same(annotated, transformer.Transform(data));

        var first = ReadRows(annotated, Columns);
        var second = ReadRows(annotated, Columns);
        var parallel = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ReadRows(annotated, Columns))));
        var cols = Columns.Select(c => annotated.Schema[c]).ToArray();
        var set = annotated.GetRowCursorSet(cols, 4);
        var fromSet = set.SelectMany(c => ReadAll(c, cols)).ToList();
        var typed = mlContext.Data.CreateEnumerable<SvampAnnotated>(annotated, reuseRowObject: false).ToArray();

        Assert.Equal(30, first.Count);
        Assert.Equal(first, second);
        Assert.All(parallel, rows => Assert.Equal(first, rows));
        Assert.Equal(first, fromSet);
        Assert.Equal(first.Select(r => r[4]), typed.Select(t => t.TeacherLabel));
        Assert.Equal(svamp.Examples.Take(30).Select(e => e.Id), first.Select(r => r[0]));
        Assert.Equal(30, server.CompletionCount);
        Assert.All(server.RequestsPerPrompt.Values, n => Assert.Equal(1, n));
        Assert.All(server.Requests, r => Assert.Equal("Answer like the examples.", r.SystemPrompt));
        Assert.Equal(30L, annotated.GetRowCount());
        Assert.Equal(30, transformer.LastReport!.Rows);
    }

    [Fact]
    public async Task Self_consistency_takes_the_majority_label_and_a_rationale_that_supports_it()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var rows = svamp.Examples.Take(3).ToArray();
        var teacher = new ScriptedTeacher(new Dictionary<string, string[]>
        {
            [rows[0].Id] = ["First. The answer is (1 + 2).", "Second. The answer is (5 - 1).", "Third. The answer is (2 + 1)."],
            [rows[1].Id] = ["Alpha. The answer is (7).", "Beta. The answer is (8).", "Gamma. The answer is (9)."],
            [rows[2].Id] = ["no answer here", "nor here", "nothing"],
        });
        var options = Options(svamp, ServerTestData.NewFolder(), concurrency: 1);
        options.Samples = 3;

        var data = TaskDataset.ToDataView(rows, svamp.Dataset.Schema);
        var result = await (await new MLContext().StepDistill().AnnotateRationales(teacher, options).FitAsync(data)).AnnotateAsync(data);

        Assert.Equal(("First.", "(1 + 2)", 2, 3), (result.Rows[0].Rationale, result.Rows[0].TeacherLabel, result.Rows[0].Votes, result.Rows[0].Samples));
        Assert.Equal(("Alpha.", "(7)", 1), (result.Rows[1].Rationale, result.Rows[1].TeacherLabel, result.Rows[1].Votes));
        Assert.Equal(AnnotationStatus.ParseFailed, result.Rows[2].Status);
        Assert.Equal(9, result.Report.Calls);
        Assert.All(teacher.Temperatures, t => Assert.Equal(0.7f, t));
    }

    [Fact]
    public async Task Several_samples_from_the_recorded_teacher_count_one_call_per_row_and_keep_its_one_answer()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var recorded = RecordedTeacher.Open(svamp.Dataset.Manifest, "test", "palm-540b");
        var examples = svamp.Examples.Take(20).ToArray();
        var options = Options(svamp, ServerTestData.NewFolder());
        options.Samples = 3;
        var data = TaskDataset.ToDataView(examples, svamp.Dataset.Schema);

        var result = await (await new MLContext().StepDistill().AnnotateRationales(recorded, options).FitAsync(data)).AnnotateAsync(data);
        var reference = examples.Select(svamp.Reference).ToArray();

        Assert.Equal(20, result.Report.Calls); // one recorded completion per row, not 3 x 20
        Assert.Equal(reference.Select(r => r.Label ?? ""), result.Rows.Select(r => r.TeacherLabel));
        Assert.All(result.Rows, r => Assert.Equal(1, r.Samples));
        Assert.All(result.Rows.Where(r => r.TeacherLabel.Length > 0), r => Assert.Equal(1, r.Votes));
    }

    [Fact]
    public async Task Gold_filter_marks_disagreeing_rows_filtered_and_dropping_leaves_only_usable_rows()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var recorded = RecordedTeacher.Open(svamp.Dataset.Manifest, "test", "palm-540b");
        // Expected counts from the recorded completions read by the parser and compared with gold, not from the annotator.
        var parsed = svamp.Examples.Select(svamp.Reference).ToArray();
        var correct = svamp.Examples.Select(svamp.ReferenceCorrect).ToArray();
        var (ok, parseFailed, disagreeing) = (
            parsed.Where((p, i) => p.IsOk && correct[i] == true).Count(),
            parsed.Count(p => !p.HasLabel),
            parsed.Where((p, i) => p.HasLabel && correct[i] == false).Count());
        var options = Options(svamp, ServerTestData.NewFolder());
        options.FilterByGoldLabel = true;
        options.DropUnusableRows = true;
        var data = svamp.View();

        var result = await (await new MLContext().StepDistill().AnnotateRationales(recorded, options).FitAsync(data)).AnnotateAsync(data);
        var kept = ReadRows(result.Data, "id", "AnnotationStatus");

        Assert.Equal(200, result.Report.Rows);
        Assert.Equal(ok, result.Report.Ok);
        Assert.Equal(parseFailed, result.Report.ParseFailed);
        Assert.Equal(disagreeing, result.Report.Filtered);
        Assert.True(result.Report.Filtered > 0);
        Assert.Equal(result.Report.Filtered + result.Report.ParseFailed, result.Report.RowsDropped);
        Assert.Equal(ok, kept.Count);
        Assert.Equal((long)kept.Count, result.Data.GetRowCount());
        Assert.All(kept, r => Assert.Equal(AnnotationStatus.Ok, r[1]));
        Assert.All(result.Rows.Where(r => r.Status == AnnotationStatus.Filtered), r => Assert.Contains("disagrees with the gold label", r.Reason));
        Assert.Equal((double)correct.Count(c => c == true) / correct.Count(c => c is not null), result.Report.TeacherAccuracy);
    }

    [Fact]
    public async Task The_report_counts_rows_parse_failures_and_accuracy_with_parse_failures_as_wrong()
    {
        var esnli = RecordedSplit.Open("esnli", "test");
        string?[] gold = ["neutral", "neutral", "neutral", "neutral", null];
        var rows = gold.Select((g, i) => new TaskExample($"r{i}", [$"premise {i}", $"hypothesis {i}"], [], g)).ToArray();
        string[] completions = ["R. So the answer is neutral.", "R. So the answer is entailment.", "R without an answer.", "R. So the answer is perhaps.", "R. So the answer is neutral."];
        ScriptedTeacher Teacher() => new(rows.Select((r, i) => (r.Id, completions[i])).ToDictionary(p => p.Id, p => new[] { p.Item2 }));
        var data = TaskDataset.ToDataView(rows, esnli.Dataset.Schema);

        var result = await new MLContext().StepDistill().AnnotateRationales(Teacher(), Options(esnli, ServerTestData.NewFolder())).AnnotateAsync(data);

        var report = result.Report;
        Assert.Equal((5, 3, 0, 2, 1), (report.Rows, report.Ok, report.LabelOnly, report.ParseFailed, report.NoLabelFound));
        Assert.Equal((4, 4, 1), (report.GoldRows, report.RowsWithGold, report.TeacherCorrect));
        Assert.Equal(0.25, report.TeacherAccuracy);
        Assert.Equal([true, false, false, false, null], result.Rows.Select(r => r.TeacherCorrect));
        Assert.Equal(completions[2], result.Rows[2].UnparsedCompletion);
        Assert.Null(result.Rows[1].UnparsedCompletion);

        var ungraded = TaskDataset.ToDataView(rows[4..], esnli.Dataset.Schema);
        var withoutGold = await new MLContext().StepDistill().AnnotateRationales(Teacher(), Options(esnli, ServerTestData.NewFolder())).AnnotateAsync(ungraded);
        Assert.Equal((1, 0, 0), (withoutGold.Report.Ok, withoutGold.Report.GoldRows, withoutGold.Report.RowsWithGold));
        Assert.Null(withoutGold.Report.TeacherAccuracy);
    }

    [Fact]
    public async Task Cancelling_stops_the_run_and_a_rerun_resumes_from_the_cache()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var folder = ServerTestData.NewFolder();
        var data = svamp.View(60);
        await using var server = await FakeChatCompletionsServer.StartAsync(svamp.Responder(), new FakeServerOptions { Latency = TimeSpan.FromMilliseconds(5) });
        using var teacher = ServerTestData.Teacher(server, ServerTestData.FastOptions(maxConcurrency: 4));
        using var cancel = new CancellationTokenSource();
        var options = Options(svamp, folder, concurrency: 4);
        options.Progress = new SyncProgress(p =>
        {
            if (p.Done == 10)
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new MLContext().StepDistill().AnnotateRationales(teacher, options).FitAsync(data, cancel.Token));
        Assert.InRange(server.CompletionCount, 10, 59);

        options.Progress = null;
        var resumed = await (await new MLContext().StepDistill().AnnotateRationales(teacher, options).FitAsync(data)).AnnotateAsync(data);

        Assert.True(resumed.Report.CacheHits >= 10, resumed.Report.ToString());
        Assert.Equal(60, resumed.Report.Calls + resumed.Report.CacheHits);
        Assert.Equal(60, resumed.Report.Ok + resumed.Report.ParseFailed);
    }

    [Fact]
    public void Output_schema_keeps_the_input_columns_and_adds_three_text_columns_and_names_a_missing_column()
    {
        var svamp = RecordedSplit.Open("svamp", "test");
        var mlContext = new MLContext();
        var recorded = RecordedTeacher.Open(svamp.Dataset.Manifest, "test", "palm-540b");
        var estimator = mlContext.StepDistill().AnnotateRationales(recorded, Options(svamp, ServerTestData.NewFolder()));
        var data = svamp.View(2);

        var shape = estimator.GetOutputSchema(ShapeOf(data.Schema));
        var schema = estimator.Fit(data).GetOutputSchema(data.Schema);
        var wrong = mlContext.Data.LoadFromEnumerable(new[] { new { id = "1", text = "x" } });

        Assert.Equal(["id", "question", "equation", "Rationale", "TeacherLabel", "AnnotationStatus"], shape.Select(c => c.Name));
        Assert.Equal(["id", "question", "equation", "Rationale", "TeacherLabel", "AnnotationStatus"], schema.Select(c => c.Name));
        Assert.All(schema.Skip(3), c => Assert.IsType<TextDataViewType>(c.Type));
        Assert.Contains("'question'", Assert.Throws<ArgumentException>(() => estimator.GetOutputSchema(ShapeOf(wrong.Schema))).Message);
        Assert.Contains("Schema", Assert.Throws<ArgumentException>(() => mlContext.StepDistill().AnnotateRationales(recorded, new RationaleAnnotatorOptions())).Message);
    }

    /// <summary>ML.NET 5 keeps <c>SchemaShape.Create</c> internal; pipelines call it, so the test does too.</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!
            .Invoke(null, [schema])!;

    private sealed class SvampAnnotated
    {
        [ColumnName("id")]
        public string Id { get; set; } = "";

        public string TeacherLabel { get; set; } = "";
    }

    /// <summary>Answers each row with its scripted completions in order (one per call), and records the temperatures asked for.</summary>
    private sealed class ScriptedTeacher(Dictionary<string, string[]> script) : ITeacher
    {
        private readonly ConcurrentDictionary<string, int> next = new();

        public ConcurrentBag<float> Temperatures { get; } = [];

        public string CacheIdentity => "scripted";

        public Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
        {
            Temperatures.Add(sampling.Temperature);
            var n = next.AddOrUpdate(prompt.RowId, 0, (_, i) => i + 1);
            return Task.FromResult<IReadOnlyList<TeacherCompletion>>([new TeacherCompletion(script[prompt.RowId][n])]);
        }
    }
}
