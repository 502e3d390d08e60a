using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// A user's own classification dataset (labels spam, ham in dataset.json; the rows show ham first) through train,
/// evaluate and export-onnx: a label outside the set stops the command naming file, line and value, or is dropped and
/// counted with --drop-unknown-labels; labels in another case are scored; classes come by name in dataset.json's order.
/// </summary>
public sealed class OwnLabelsCommandsTests(OwnLabelsCommandsTests.MailModel mail) : IClassFixture<OwnLabelsCommandsTests.MailModel>
{
    [Fact]
    public void Train_stops_at_a_label_outside_the_set_naming_file_line_and_value()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<UserFacingException>(() => TrainCommand.Run(mail.TrainSettings(temp.File("m.zip"), drop: false), CancellationToken.None));

        Assert.Contains($"{mail.TrainFile} line 5, field \"label\": label \"junk\" is not in the label set (spam, ham)", error.Message);
        Assert.StartsWith("train: ", error.Message);
    }

    [Fact]
    public void Train_with_drop_unknown_labels_skips_and_counts_the_row()
    {
        var root = mail.TrainJson.RootElement;

        Assert.Equal(1, root.GetProperty("droppedRows").GetInt32());
        Assert.Equal(MailModel.TrainRows - 1, root.GetProperty("rows").GetInt32());
        Assert.Contains("--drop-unknown-labels dropped 1 of the 12 rows of split train", mail.TrainNotices);
        Assert.Contains("line 5 \"junk\"", mail.TrainNotices);
    }

    [Fact]
    public void Evaluate_stops_at_a_label_outside_the_set_naming_file_line_and_value()
    {
        var error = Assert.Throws<UserFacingException>(() => Evaluate(mail.ModelPath, drop: false, json: true));

        Assert.Contains($"{mail.TestFile} line 4, field \"label\": label \"junk\" is not in the label set (spam, ham)", error.Message);
    }

    [Fact]
    public void Evaluate_scores_labels_written_in_another_case_and_counts_the_dropped_row()
    {
        var (output, notices) = Evaluate(mail.ModelPath, drop: true, json: true);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;

        Assert.Equal(7, root.GetProperty("rows").GetInt32());
        Assert.Equal(1, root.GetProperty("droppedRows").GetInt32());
        Assert.Equal(7, root.GetProperty("scoredRows").GetInt32());   // SPAM, Ham and " spam." are scored, not skipped
        Assert.Contains($"evaluate: --drop-unknown-labels dropped 1 of the 8 rows of split test ({mail.TestFile})", notices);
    }

    [Fact]
    public void Evaluate_json_gives_per_class_figures_by_name_in_the_manifests_label_order()
    {
        var (output, _) = Evaluate(mail.ModelPath, drop: true, json: true);
        using var json = JsonDocument.Parse(output);
        var classes = json.RootElement.GetProperty("classes").EnumerateArray().ToArray();

        Assert.Equal(["spam", "ham"], classes.Select(c => c.GetProperty("name").GetString()));   // the rows show ham first
        Assert.Equal([4, 3], classes.Select(c => c.GetProperty("rows").GetInt32()));           // gold rows per class among the 7 scored
        Assert.Equal(7, classes.Sum(c => c.GetProperty("predicted").GetInt32()));
        foreach (var c in classes)
        {
            var recall = c.GetProperty("recall");
            Assert.True(recall.ValueKind == JsonValueKind.Number && recall.GetDouble() is >= 0 and <= 1);
        }
    }

    [Fact]
    public void Evaluate_text_prints_a_line_per_class_in_the_same_order()
    {
        var (output, _) = Evaluate(mail.ModelPath, drop: true, json: false);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = Array.FindIndex(lines, l => l.StartsWith("class", StringComparison.Ordinal));

        Assert.True(header >= 0, output);
        Assert.Equal(["class", "rows", "predicted", "precision", "recall"], lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("spam", lines[header + 1], StringComparison.Ordinal);
        Assert.Equal("4", lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.StartsWith("ham", lines[header + 2], StringComparison.Ordinal);
    }

    [Fact]
    public void The_exported_onnx_student_has_the_same_classes_in_the_same_order()
    {
        using var temp = new TempFolder();
        var folder = temp.File("onnx");
        Assert.Equal(0, new ExportOnnxCommand(new StringWriter()).Execute(null!, new ExportOnnxCommand.Settings { Model = mail.ModelPath, Out = folder }, CancellationToken.None));

        var (fromZip, _) = Evaluate(mail.ModelPath, drop: true, json: true);
        var (fromOnnx, _) = Evaluate(folder, drop: true, json: true);
        using var zip = JsonDocument.Parse(fromZip);
        using var onnx = JsonDocument.Parse(fromOnnx);

        string[] Names(JsonDocument d) => d.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["spam", "ham"], Names(onnx));
        Assert.Equal(Names(zip), Names(onnx));
        Assert.Equal(zip.RootElement.GetProperty("accuracy").GetDouble(), onnx.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    [Fact]
    public void Train_summary_names_an_annotated_file_by_its_own_path()
    {
        using var temp = new TempFolder();
        var annotated = temp.Write("rows.jsonl",
            "{\"id\": \"1\", \"input\": \"win money now\", \"gold\": \"spam\", \"status\": \"parse-failed\"}\n" +
            "{\"id\": \"2\", \"input\": \"lunch at noon?\", \"gold\": \"ham\", \"status\": \"parse-failed\"}\n");
        var settings = mail.TrainSettings(temp.File("m.zip"), drop: false);
        settings.Annotated = annotated;
        settings.Method = "fine-tuning"; // the rows have no teacher labels
        settings.Steps = 1;

        var result = TrainCommand.Run(settings, CancellationToken.None);
        result.Student.Dispose();
        var summary = TrainCommand.Summary(result, annotated: true);

        Assert.Contains($"on 2 rows of {annotated} (dataset mail)", summary);
        Assert.DoesNotContain("mail/", summary);
        Assert.Contains("on 11 rows of mail/train", TrainCommand.Summary(mail.TrainResult, annotated: false));
    }

    [Fact]
    public async Task Annotate_checks_gold_labels_and_counts_a_label_in_another_case_as_the_teachers()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """
            {"name": "mail", "family": "classification", "idField": "id", "inputFields": ["text"], "targetField": "label",
             "labels": ["spam", "ham"], "splits": {"train": "train.jsonl"}, "teachers": {"rec": {"train": "rec.jsonl"}}}
            """);
        var train = temp.Write("train.jsonl",
            "{\"id\": \"1\", \"text\": \"lunch?\", \"label\": \"HAM\"}\n" +
            "{\"id\": \"2\", \"text\": \"???\", \"label\": \"junk\"}\n" +
            "{\"id\": \"3\", \"text\": \"win now\", \"label\": \"spam\"}\n");
        temp.Write("rec.jsonl",
            "{\"id\": \"1\", \"completion\": \"A colleague asks about lunch. So the answer is ham.\"}\n" +
            "{\"id\": \"2\", \"completion\": \"Nothing to go on. So the answer is spam.\"}\n" +
            "{\"id\": \"3\", \"completion\": \"It pushes a prize. So the answer is spam.\"}\n");
        AnnotateCommand.Settings Settings(bool drop) => new() { Dataset = temp.Path, Split = "train", RecordedName = "rec", Json = true, DropUnknownLabels = drop };

        var error = await Assert.ThrowsAsync<UserFacingException>(() => new AnnotateCommand(TextWriter.Null).RunAsync(Settings(drop: false), CancellationToken.None));
        Assert.Contains($"{train} line 2, field \"label\": label \"junk\" is not in the label set", error.Message);

        var output = new StringWriter();
        var notices = new StringWriter();
        Assert.Equal(0, await new AnnotateCommand(output, error: notices).RunAsync(Settings(drop: true), CancellationToken.None));
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal(2, json.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("teacherCorrect").GetInt32());   // gold HAM is the teacher's ham
        Assert.Contains("annotate: --drop-unknown-labels dropped 1 of the 3 rows of split train", notices.ToString());
    }

    private (string Output, string Notices) Evaluate(string model, bool drop, bool json)
    {
        var output = new StringWriter();
        var notices = new StringWriter();
        var code = new EvaluateCommand(output, notices).Execute(null!, new EvaluateCommand.Settings
        {
            Model = model, Dataset = mail.Folder, Split = "test", Json = json, DropUnknownLabels = drop,
        }, CancellationToken.None);
        Assert.Equal(0, code);
        return (output.ToString(), notices.ToString());
    }

    /// <summary>The mail dataset in a scratch folder, and a tiny student trained on it once with --drop-unknown-labels.</summary>
    public sealed class MailModel : IDisposable
    {
        public const int TrainRows = 12;
        private readonly TempFolder temp = new();

        public MailModel()
        {
            Folder = temp.Path;
            temp.Write("dataset.json", """
                {"name": "mail", "family": "classification", "idField": "id", "inputFields": ["text"], "targetField": "label",
                 "labels": ["spam", "ham"], "splits": {"train": "train.jsonl", "test": "test.jsonl"}}
                """);
            string[] train =
            [
                "ham|see you at lunch", "ham|the report is attached", "spam|win a free cruise now", "ham|meeting moved to 3",
                "junk|???", "HAM|thanks for the notes", "spam|cheap pills online", "Spam|you won a prize", "ham|call me later",
                "spam|claim your reward", "ham|dinner tonight?", "spam|limited offer, act now",
            ];
            TrainFile = temp.Write("train.jsonl", Lines(train));
            string[] test = ["SPAM|free money", "ham|lunch tomorrow", "Ham|see the draft", "junk|???", " spam.|win big", "spam|prize inside", "ham|notes attached", "spam|act now"];
            TestFile = temp.Write("test.jsonl", Lines(test));
            ModelPath = temp.File("model.zip");

            var notices = new StringWriter();
            TrainResult = TrainCommand.Run(TrainSettings(ModelPath, drop: true), CancellationToken.None, notices);
            TrainResult.Student.Dispose();
            TrainNotices = notices.ToString();
            TrainJson = JsonDocument.Parse(JsonSerializer.Serialize(TrainResult));
        }

        public string Folder { get; }

        public string TrainFile { get; }

        public string TestFile { get; }

        public string ModelPath { get; }

        internal TrainResult TrainResult { get; }

        public JsonDocument TrainJson { get; }

        public string TrainNotices { get; }

        internal TrainCommand.Settings TrainSettings(string output, bool drop) => new()
        {
            Dataset = Folder, Method = "fine-tuning", Steps = 2, BatchSize = 4, MaxInput = 24, MaxTarget = 8,
            Tokenizer = TrainingFixtures.TokenizerPath, Out = output, Json = true, DropUnknownLabels = drop,
        };

        private static string Lines(string[] rows) => string.Concat(rows.Select((row, i) =>
        {
            var parts = row.Split('|');
            return JsonSerializer.Serialize(new { id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), text = parts[1], label = parts[0] }) + "\n";
        }));

        public void Dispose()
        {
            TrainJson.Dispose();
            temp.Dispose();
        }
    }
}
