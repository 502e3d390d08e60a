using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>predict --input / --dataset --split: a file of raw rows scored into one JSON line per row, in order.</summary>
public sealed class PredictFileTests(StudentCommandsTests.TrainedModel trained) : IClassFixture<StudentCommandsTests.TrainedModel>
{
    private static readonly string[] TestLines = File.ReadLines(Path.Combine(RepoPaths.Dataset("cqa"), "test.jsonl")).Take(7).ToArray();

    private static JsonElement[] ReadLines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    [Fact]
    public void Every_row_gets_its_line_in_order_with_the_scores_the_loaded_pipeline_gives()
    {
        using var temp = new TempFolder();
        var input = temp.Write("rows.jsonl", string.Join("\n", TestLines) + "\n");
        var outPath = temp.File("predictions.jsonl");
        var output = new StringWriter();

        var code = new PredictCommand(output).Execute(null!, new PredictCommand.Settings
        {
            Model = trained.ModelPath, Input = input, Out = outPath, BatchSize = 3,   // batches of 3, 3 and 1
        }, CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Contains("scored 7 rows of", output.ToString());
        var lines = ReadLines(outPath);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], lines.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal(TestLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()), lines.Select(l => l.GetProperty("id").GetString()));

        // The same rows through the saved pipeline as an ML.NET app serves them (raw question and choices in).
        var ml = new MLContext();
        using var model = ml.StepDistill().LoadModel(trained.ModelPath, out _);
        var raw = ml.Data.TakeRows(MLNet.StepDistill.Tasks.TaskDataset.Open(RepoPaths.Dataset("cqa")).LoadSplit(ml, "test"), 7);
        var expected = ml.Data.CreateEnumerable<Scored>(model.Transform(raw), reuseRowObject: false).ToArray();
        for (var i = 0; i < 7; i++)
        {
            var scores = lines[i].GetProperty("scores");
            Assert.Equal(["a", "b", "c", "d", "e"], scores.EnumerateObject().Select(p => p.Name));
            Assert.Equal(expected[i].Score, scores.EnumerateObject().Select(p => p.Value.GetSingle()), (x, y) => Math.Abs(x - y) < 1e-5);
            Assert.Equal(expected[i].PredictedText, lines[i].GetProperty("label").GetString());
            var choice = lines[i].GetProperty("choice").GetString()!;
            Assert.Equal(expected[i].PredictedText, expected[i].Choices[choice[0] - 'a']);
            Assert.False(lines[i].TryGetProperty("rationale", out _));
        }
    }

    [Fact]
    public void Unreadable_rows_keep_their_place_with_the_error_are_reported_by_line_and_fail_the_run_after_the_others_are_scored()
    {
        using var temp = new TempFolder();
        var input = temp.Write("rows.jsonl", $"{TestLines[0]}\n{{\"id\":\"x\",\"question\":\"no choices\"}}\n\n{{oops\n{TestLines[1]}\n");
        var outPath = temp.File("predictions.jsonl");
        var errors = new StringWriter();

        var error = Assert.Throws<UserFacingException>(() => new PredictCommand(new StringWriter(), errors).Execute(null!, new PredictCommand.Settings
        {
            Model = trained.ModelPath, Input = input, Out = outPath, Rationale = true,
        }, CancellationToken.None));

        Assert.Contains("2 of the 4 rows", error.Message);
        Assert.Contains("rows.jsonl line 2, field \"choices\": missing", errors.ToString());
        Assert.Contains("rows.jsonl line 4: not valid JSON", errors.ToString());
        var lines = ReadLines(outPath);
        Assert.Equal([1, 2, 4, 5], lines.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal(("missing", "choices"), (lines[1].GetProperty("error").GetString(), lines[1].GetProperty("field").GetString()));
        Assert.True(lines[2].TryGetProperty("error", out _));
        Assert.True(lines[3].TryGetProperty("rationale", out _));
        Assert.Equal(JsonDocument.Parse(TestLines[1]).RootElement.GetProperty("id").GetString(), lines[3].GetProperty("id").GetString());
    }

    [Fact]
    public void A_split_of_a_dataset_and_a_csv_file_are_scored_alike()
    {
        using var temp = new TempFolder();
        var rows = TestLines.Take(3).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        temp.Write("data/test.jsonl", string.Join("\n", TestLines.Take(3)));
        temp.Write("data/dataset.json", """
            { "name": "mini-cqa", "family": "multiple-choice-qa", "idField": "id", "inputFields": ["question"],
              "choicesField": "choices", "targetField": "answer", "splits": { "test": "test.jsonl" } }
            """);
        var csv = temp.Write("rows.csv", "id,question,choices\n" + string.Join("\n", rows.Select(r =>
            $"{r.GetProperty("id").GetString()},\"{r.GetProperty("question").GetString()!.Replace("\"", "\"\"")}\",{string.Join("|", r.GetProperty("choices").EnumerateArray().Select(c => c.GetString()))}")));

        Assert.Equal(0, new PredictCommand(new StringWriter()).Execute(null!, new PredictCommand.Settings
        {
            Model = trained.ModelPath, Dataset = temp.File("data"), Split = "test", Out = temp.File("split.jsonl"),
        }, CancellationToken.None));
        Assert.Equal(0, new PredictCommand(new StringWriter()).Execute(null!, new PredictCommand.Settings
        {
            Model = trained.ModelPath, Input = csv, Out = temp.File("csv.jsonl"),
        }, CancellationToken.None));

        var fromSplit = ReadLines(temp.File("split.jsonl"));
        var fromCsv = ReadLines(temp.File("csv.jsonl"));
        Assert.Equal([1, 2, 3], fromSplit.Select(l => l.GetProperty("line").GetInt32()));
        Assert.Equal([2, 3, 4], fromCsv.Select(l => l.GetProperty("line").GetInt32()));   // line 1 is the header
        Assert.Equal(fromSplit.Select(l => (l.GetProperty("id").GetString(), l.GetProperty("label").GetString())),
            fromCsv.Select(l => (l.GetProperty("id").GetString(), l.GetProperty("label").GetString())));
    }

    [Theory]
    [InlineData("text-and-input", "--text and --choices answer one input")]
    [InlineData("no-out", "--out FILE is required")]
    [InlineData("out-without-input", "--out, --dataset and --batch-size go with --input")]
    [InlineData("missing-input", "no such file")]
    [InlineData("nothing", "give --text TEXT (one input), or --input FILE")]
    public void Options_that_do_not_go_together_are_errors_naming_them(string which, string expected)
    {
        using var temp = new TempFolder();
        var settings = which switch
        {
            "text-and-input" => new PredictCommand.Settings { Text = "x", Input = temp.Write("r.jsonl", TestLines[0]), Out = temp.File("p.jsonl") },
            "no-out" => new PredictCommand.Settings { Input = temp.Write("r.jsonl", TestLines[0]) },
            "out-without-input" => new PredictCommand.Settings { Text = "x", Choices = "a|b", Out = temp.File("p.jsonl") },
            "missing-input" => new PredictCommand.Settings { Input = temp.File("none.jsonl"), Out = temp.File("p.jsonl") },
            _ => new PredictCommand.Settings(),
        };
        settings.Model = trained.ModelPath;

        var error = Assert.Throws<UserFacingException>(() => new PredictCommand(new StringWriter()).Execute(null!, settings, CancellationToken.None));
        Assert.Contains(expected, error.Message);
    }

    private sealed class Scored
    {
        [Microsoft.ML.Data.ColumnName("choices")] public string[] Choices { get; set; } = [];

        public float[] Score { get; set; } = [];

        public string PredictedText { get; set; } = "";
    }
}
