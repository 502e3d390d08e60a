using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using Spectre.Console.Cli;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// Where `stepdistill train` gets rationales: the dataset's own (<c>rationaleField</c>), or a file `annotate --out` wrote
/// (<c>--annotated</c>); with none, a mode that learns rationales is an error, not a silent label-only run.
/// CPU-sized: a tiny student, a few dozen rows, two steps.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainRationaleSourcesTests
{
    [Fact]
    public void A_dataset_with_its_own_rationales_trains_step_by_step_with_no_teacher_and_reports_its_rationale_rows()
    {
        using var temp = new TempFolder();
        var folder = OwnRationaleDataset.Write(temp);

        using var json = TrainJson(new TrainCommand.Settings
        {
            Dataset = folder, Epochs = 1, BatchSize = 16, MaxInput = 48, MaxTarget = 16, Threads = 1,
            ValidationSplit = "valid", EvalEvery = 1, Out = temp.File("model.zip"), Json = true,
        });
        var root = json.RootElement;

        Assert.Equal("step-by-step-gold", root.GetProperty("method").GetString()); // no teacher labels: the default learns the gold ones
        Assert.Equal("train", root.GetProperty("split").GetString());
        Assert.Equal(OwnRationaleDataset.TrainRows, root.GetProperty("rows").GetInt32());
        Assert.Equal(OwnRationaleDataset.TrainRows, root.GetProperty("labelRows").GetInt32());
        Assert.Equal(OwnRationaleDataset.TrainRows - OwnRationaleDataset.TrainRowsWithoutRationale, root.GetProperty("rationaleRows").GetInt32());
        Assert.Equal(2, root.GetProperty("steps").GetInt32()); // one epoch of 30 rows in batches of 16
        Assert.Equal(OwnRationaleDataset.ValidRows, root.GetProperty("validationRows").GetInt32());
        Assert.InRange(root.GetProperty("validationAccuracy").GetDouble(), 0, 1);
        Assert.True(File.Exists(temp.File("model.zip")));
    }

    [Theory]
    [InlineData("step-by-step-gold")]
    [InlineData("single-task")]
    public void No_rationales_anywhere_is_an_error_that_says_where_they_come_from(string method)
    {
        using var temp = new TempFolder();
        var folder = OwnRationaleDataset.Write(temp);
        var manifest = Path.Combine(folder, "dataset.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"rationaleField\": \"explanation\",", "", StringComparison.Ordinal));

        var ex = Assert.Throws<UserFacingException>(() => TrainCommand.Run(new TrainCommand.Settings
        {
            Dataset = folder, Method = method, Steps = 1, Out = temp.File("model.zip"), Json = true,
        }, CancellationToken.None));

        Assert.Contains($"--method {method} learns rationales, but none of the {OwnRationaleDataset.TrainRows} rows of train", ex.Message);
        Assert.Contains("rationaleField", ex.Message);
        Assert.Contains("--annotated FILE", ex.Message);
        Assert.Contains("--recorded-name", ex.Message);
        Assert.Contains("--method fine-tuning", ex.Message);
    }

    [Fact]
    public void Annotate_out_then_train_annotated_works_end_to_end_through_the_cli()
    {
        using var temp = new TempFolder();
        var folder = AnliSlice(temp, rows: 24);
        var annotatedFile = temp.File("annotated.jsonl");
        var model = temp.File("model.zip");

        var (annotateCode, _) = CaptureOut(() => App().Run(["annotate", "--dataset", folder, "--split", "valid", "--teacher", "recorded", "--out", annotatedFile, "--json"]));
        var (trainCode, trainOutput) = CaptureOut(() => App().Run(
            ["train", "--dataset", folder, "--annotated", annotatedFile, "--steps", "2", "--batch-size", "8", "--max-input", "48", "--max-target", "16", "--threads", "1", "--out", model, "--json"]));
        using var json = JsonDocument.Parse(trainOutput.Trim().Split('\n')[^1]);
        var root = json.RootElement;

        // Expected counts read from the annotated file itself: rows whose status is ok with a rationale / a teacher label.
        var written = File.ReadLines(annotatedFile).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        bool Ok(JsonElement r) => r.GetProperty("status").GetString() == "ok";
        var rationaleRows = written.Count(r => Ok(r) && !string.IsNullOrWhiteSpace(r.GetProperty("rationale").GetString()));
        var labelRows = written.Count(r => Ok(r) && r.GetProperty("teacherLabel").GetString() is { Length: > 0 });
        Assert.Equal(0, annotateCode);
        Assert.Equal(0, trainCode);
        Assert.Equal(24, written.Length);
        Assert.Equal(annotatedFile, root.GetProperty("split").GetString());
        Assert.Equal("step-by-step-teacher", root.GetProperty("method").GetString()); // teacher labels: the default learns them
        Assert.Equal(24, root.GetProperty("rows").GetInt32());
        Assert.Equal(rationaleRows, root.GetProperty("rationaleRows").GetInt32());
        Assert.Equal(labelRows, root.GetProperty("labelRows").GetInt32());
        Assert.InRange(rationaleRows, 1, 24);
        Assert.Equal(2, root.GetProperty("steps").GetInt32());
        Assert.True(File.Exists(model));
    }

    [Fact]
    public void A_bad_annotated_file_is_a_user_facing_error_that_names_the_option_file_line_and_field()
    {
        using var temp = new TempFolder();
        var folder = OwnRationaleDataset.Write(temp);
        var file = temp.Write("annotated.jsonl", "{\"id\":\"1\",\"status\":\"ok\"}");

        var ex = Assert.Throws<UserFacingException>(() => TrainCommand.Run(new TrainCommand.Settings
        {
            Dataset = folder, Annotated = file, Steps = 1, Out = temp.File("model.zip"), Json = true,
        }, CancellationToken.None));

        Assert.Equal($"train: --annotated {file} line 1, field \"input\": missing", ex.Message);
    }

    /// <summary>A copy of the first <paramref name="rows"/> rows of ANLI R1 valid with their recorded completions.</summary>
    internal static string AnliSlice(TempFolder temp, int rows)
    {
        var source = RepoPaths.Dataset("anli1");
        var lines = File.ReadLines(Path.Combine(source, "valid.jsonl")).Take(rows).ToArray();
        var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToHashSet();
        var completions = File.ReadLines(Path.Combine(source, "teacher", "palm-540b", "valid.jsonl"))
            .Where(l => ids.Contains(JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        temp.Write("anli-slice/valid.jsonl", string.Join('\n', lines) + "\n");
        temp.Write("anli-slice/teacher/palm-540b/valid.jsonl", string.Join('\n', completions) + "\n");
        temp.Write("anli-slice/dataset.json", """
            {
              "name": "anli-slice", "family": "nli", "idField": "id", "inputFields": ["premise", "hypothesis"], "targetField": "label",
              "labels": ["entailment", "neutral", "contradiction"],
              "splits": { "valid": "valid.jsonl" },
              "teachers": { "palm-540b": { "valid": "teacher/palm-540b/valid.jsonl" } },
              "completion": { "answerMarker": "So the answer is", "cutAt": "Premise:" }
            }
            """);
        return temp.File("anli-slice");
    }

    private static CommandApp App()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.PropagateExceptions();
            CommandRegistry.Register(config);
        });
        return app;
    }

    private static (int Code, string Output) CaptureOut(Func<int> run)
    {
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            return (run(), output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }

    private static JsonDocument TrainJson(TrainCommand.Settings settings)
    {
        var output = new StringWriter();
        Assert.Equal(0, new TrainCommand(output).Execute(null!, settings, CancellationToken.None));
        return JsonDocument.Parse(output.ToString());
    }
}
