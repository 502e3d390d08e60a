using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Recipes;

/// <summary>
/// The annotated-rows file (what <c>annotate --out</c> writes and <c>train</c>, <c>experiment</c> and <c>sweep --annotated</c>
/// read): a versioned round trip, files written before the version, errors that name the file, line and field, and how
/// the trainer reads each status.
/// </summary>
public sealed class AnnotatedRowsFileTests
{
    private static readonly AnnotatedFileRow[] Rows =
    [
        new()
        {
            Id = "r1", Input = "Where is my parcel? It is late.", Rationale = "The customer asks about a delivery.", TeacherLabel = "shipping",
            Status = AnnotationStatus.Ok, Gold = "shipping", TeacherCorrect = true, Votes = 1, Samples = 1, PromptTokens = 120,
            CompletionTokens = 14, CachedSamples = 1, Cost = 0.000027,
        },
        new()
        {
            Id = "r2", Input = "Ich wurde zweimal belastet – bitte erstatten.", TeacherLabel = "billing", Status = AnnotationStatus.LabelOnly,
            Rationales = RationaleMode.ExplainGold, Gold = "billing", TeacherCorrect = true, Votes = 1, Samples = 1, TokensEstimated = true,
        },
        new()
        {
            Id = "r3", Input = "q", Rationale = "half a thought", Status = AnnotationStatus.ParseFailed, FailureReason = "no label found",
            Gold = null, Choices = ["fridge", "shelf"], Samples = 1,
        },
    ];

    [Fact]
    public void Written_rows_read_back_field_for_field_with_the_format_version_on_every_line()
    {
        using var temp = new TempFolder();
        var path = temp.File("rows.jsonl");

        AnnotatedRowsFile.Write(path, Rows);
        var file = AnnotatedRowsFile.Read(path);

        Assert.Equal(Rows.Select(Comparable), file.Rows.Select(Comparable));
        Assert.All(File.ReadAllLines(path), line => Assert.Equal(AnnotatedRowsFile.Version, JsonDocument.Parse(line).RootElement.GetProperty("v").GetInt32()));
        Assert.StartsWith("{\"v\":1,\"id\":\"r1\"", File.ReadAllLines(path)[0]);
        Assert.Contains("\"input\":\"Ich wurde zweimal belastet – bitte erstatten.\"", File.ReadAllText(path));   // readable, not \u escapes
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), file.Sha256);
        Assert.Equal(path, file.Path);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp"));
    }

    [Fact]
    public void A_row_without_gold_writes_gold_null_whether_its_cell_was_missing_or_empty()
    {
        var annotation = new RowAnnotation("u", "", "", AnnotationStatus.CallFailed, "timeout", null, 0, 0);
        foreach (var target in new[] { null, "", " " })
        {
            var row = AnnotatedFileRow.From(new TaskExample("u", ["a text"], [], target), "a text", annotation);
            Assert.Null(row.Gold);
        }

        Assert.Equal("spam", AnnotatedFileRow.From(new TaskExample("s", ["a text"], [], "spam"), "a text", annotation).Gold);
    }

    [Fact]
    public void A_file_written_before_the_version_reads_as_the_paper_way_of_getting_rationales()
    {
        using var temp = new TempFolder();
        // Two lines exactly as annotate --out wrote them before the format had a version (no "v", no "rationales").
        var path = temp.Write("old.jsonl", string.Join('\n',
            """{"id":"cqa-1","input":"Q: x Answer Choices: (a) fridge (b) shelf","rationale":"Milk is kept cold.","teacherLabel":"fridge","status":"ok","failureReason":null,"gold":"fridge","choices":["fridge","shelf"],"teacherCorrect":true,"votes":1,"samples":1,"promptTokens":0,"completionTokens":0,"tokensEstimated":false,"cachedSamples":0,"cost":null}""",
            """{"id":"cqa-2","input":"Q: y Answer Choices: (a) car (b) bed","rationale":"","teacherLabel":null,"status":"parse-failed","failureReason":"answer \"door\" is not one of the choices","gold":"bed","choices":["car","bed"],"teacherCorrect":false,"votes":0,"samples":1,"promptTokens":0,"completionTokens":0,"tokensEstimated":false,"cachedSamples":0,"cost":null}""") + "\n");

        var file = AnnotatedRowsFile.Read(path, TaskDataset.Open(RepoPaths.Dataset("cqa")).Schema);

        Assert.Equal([RationaleMode.TeacherLabel, RationaleMode.TeacherLabel], file.Rows.Select(r => r.Rationales));
        Assert.Equal(["ok", "parse-failed"], file.Rows.Select(r => r.Status));
        var rows = file.ToAnnotatedRows();
        Assert.Equal(["fridge", "shelf"], rows[0].Choices);
        Assert.Equal(("fridge", "fridge", "Milk is kept cold."), (rows[0].Label, rows[0].TeacherLabel, rows[0].Rationale));
        Assert.Equal("", rows[1].TeacherLabel);
    }

    [Fact]
    public void The_trainer_takes_rationales_from_ok_rows_and_teacher_labels_from_ok_and_label_only_rows()
    {
        using var temp = new TempFolder();
        var path = temp.Write("rows.jsonl", string.Join('\n',
            """{"v":1,"id":"1","input":"p</s>h","rationale":"because","teacherLabel":"neutral","status":"ok","gold":"neutral"}""",
            """{"v":1,"id":"2","input":"p</s>h","rationale":"","teacherLabel":"entailment","status":"label-only","gold":"neutral"}""",
            """{"v":1,"id":"3","input":"p</s>h","rationale":"half a thought","teacherLabel":null,"status":"parse-failed","gold":"neutral"}""",
            """{"v":1,"id":"4","input":"p</s>h","rationale":"filtered reason","teacherLabel":"entailment","status":"filtered","gold":"neutral"}"""));
        var rows = AnnotatedRowsFile.Read(path).ToAnnotatedRows();
        var ml = new MLContext(1);
        TrainingRowCounts Count(TrainingMethod method) => TrainingRowCounts.Count(AnnotatedSplit.ToDataView(ml, rows),
            new MultiTaskSeq2SeqTrainerOptions { Method = method });

        Assert.Equal(["because", "", "half a thought", "filtered reason"], rows.Select(r => r.Rationale));   // kept as written
        Assert.Equal(new TrainingRowCounts(4, 2, 1), Count(TrainingMethod.StepByStepTeacher));   // labels of rows 1 and 2, the rationale of row 1
        Assert.Equal(new TrainingRowCounts(4, 4, 1), Count(TrainingMethod.StepByStepGold));
        Assert.Equal(["neutral", "entailment", "", ""], rows.Select(r => r.UsableTeacherLabel));   // what the experiment's baseline and teacher score use
    }

    [Theory]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\"}\nnot json", 2L, null, "not valid JSON")]
    [InlineData("{\"id\":\"1\",\"status\":\"ok\"}", 1L, "input", "missing")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\"}", 1L, "status", "missing")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\"}\n\n{\"id\":\"1\",\"input\":\"y\",\"status\":\"ok\"}", 3L, "id", "\"1\" appears more than once (also on line 1)")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"okay\"}", 1L, "status", "\"okay\" is not one of ok, label-only, parse-failed, call-failed, filtered")]
    [InlineData("{\"v\":1,\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\",\"rationales\":\"gold\"}", 1L, "rationales", "\"gold\" is not one of teacher-label, explain-gold")]
    [InlineData("{\"v\":2,\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\"}", 1L, "v", "format version 2 is newer than this stepdistill reads (0 to 1)")]
    [InlineData("{\"v\":\"1\",\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\"}", 1L, "v", "expected a whole number of 0 or more, found string \"1\"")]
    [InlineData("{\"id\":\"1\",\"input\":[\"x\"],\"status\":\"ok\"}", 1L, "input", "expected a string, found array")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\",\"choices\":\"a|b\"}", 1L, "choices", "expected an array of strings, found string")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\",\"votes\":-1}", 1L, "votes", "expected a whole number of 0 or more, found number -1")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"status\":\"ok\",\"teacherCorrect\":\"yes\"}", 1L, "teacherCorrect", "expected true or false")]
    [InlineData("{\"id\":\"1\",\"input\":\"x\",\"input\":\"y\",\"status\":\"ok\"}", 1L, null, "a key appears twice in the object")]
    [InlineData("[1, 2]", 1L, null, "expected a JSON object")]
    [InlineData("\n  \n", null, null, "the file holds no rows")]
    public void A_bad_line_names_the_file_line_and_field(string content, long? line, string? field, string problem)
    {
        using var temp = new TempFolder();
        var path = temp.Write("rows.jsonl", content);

        var error = Assert.Throws<DatasetFormatException>(() => AnnotatedRowsFile.Read(path));

        Assert.Equal((path, line, field), (error.FilePath, error.Line, error.Field));
        Assert.Contains(problem, error.Problem);
        Assert.StartsWith(path + (line is null ? ":" : $" line {line}"), error.Message);
    }

    [Fact]
    public void A_multiple_choice_dataset_needs_the_choices_annotate_writes()
    {
        using var temp = new TempFolder();
        var path = temp.Write("rows.jsonl", """{"v":1,"id":"1","input":"q","rationale":"r","teacherLabel":"a","status":"ok","gold":"a"}""");

        var error = Assert.Throws<DatasetFormatException>(() => AnnotatedRowsFile.Read(path, TaskDataset.Open(RepoPaths.Dataset("cqa")).Schema));

        Assert.Equal((1L, "choices"), (error.Line, error.Field));
        Assert.NotNull(AnnotatedRowsFile.Read(path, TaskDataset.Open(RepoPaths.Dataset("esnli")).Schema));   // an NLI row needs none
    }

    [Fact]
    public void A_missing_file_says_how_to_write_one()
    {
        using var temp = new TempFolder();

        var error = Assert.Throws<DatasetFormatException>(() => AnnotatedRowsFile.Read(temp.File("nope.jsonl")));

        Assert.Equal(temp.File("nope.jsonl"), error.FilePath);
        Assert.Contains("no such file (write one with `stepdistill annotate --dataset D --split S --out nope.jsonl`)", error.Message);
    }

    /// <summary>A row as a value (its choices as text), so two reads compare field for field.</summary>
    private static string Comparable(AnnotatedFileRow row) => (row with { Choices = [] }) + " choices " + string.Join("|", row.Choices);
}
