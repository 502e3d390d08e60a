using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>train, evaluate, predict and distill in process, CPU-sized: a tiny student, a few rows, two steps.</summary>
public sealed class StudentCommandsTests(StudentCommandsTests.TrainedModel trained) : IClassFixture<StudentCommandsTests.TrainedModel>
{
    [Fact]
    public void Train_Json_ReportsTheRunAndWritesTheModelZip()
    {
        var root = trained.TrainJson.RootElement;

        Assert.True(File.Exists(trained.ModelPath));
        Assert.Equal("cqa", root.GetProperty("dataset").GetString());
        Assert.Equal("train", root.GetProperty("split").GetString());
        Assert.Equal(19, root.GetProperty("rows").GetInt32()); // round(0.002 * 9741)
        Assert.Equal(2, root.GetProperty("steps").GetInt32());
        Assert.True(root.GetProperty("finalLoss").GetDouble() > 0);
        Assert.Equal(trained.ModelPath, root.GetProperty("model").GetString());
    }

    [Fact]
    public void The_trained_model_zip_serves_raw_question_and_choices_rows()
    {
        var ml = new Microsoft.ML.MLContext();
        using var model = ml.StepDistill().LoadModel(trained.ModelPath, out _);
        Assert.NotNull(model.Find<MLNet.StepDistill.Tasks.StudentInputFormatter>());
        var engine = ml.Model.CreatePredictionEngine<Pipeline.CqaRow, Pipeline.ClassPrediction>(model);
        var row = new Pipeline.CqaRow { Question = "Where do you keep milk?", Choices = ["fridge", "shelf", "car", "bed", "roof"] };
        var served = engine.Predict(row);
        Assert.Contains(served.PredictedText, row.Choices);
        Assert.Equal(1.0, served.Score.Sum(), 3);
    }

    [Fact]
    public void Evaluate_Json_GivesAnAccuracyAndTheRowCount()
    {
        var output = new StringWriter();
        var code = new EvaluateCommand(output).Execute(null!, new EvaluateCommand.Settings
        {
            Model = trained.ModelPath, Dataset = RepoPaths.Dataset("cqa"), Split = "test", Limit = 5, Json = true,
        }, CancellationToken.None);
        using var json = JsonDocument.Parse(output.ToString());

        Assert.Equal(0, code);
        Assert.Equal(5, json.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(5, json.RootElement.GetProperty("scoredRows").GetInt32()); // every cqa test answer is one of its choices
        Assert.InRange(json.RootElement.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal("test", json.RootElement.GetProperty("split").GetString());
    }

    [Fact]
    public void Evaluate_OnADatasetWhoseLabelsTheModelCannotExpress_FailsNamingTheDatasetAndTheClasses()
    {
        // The cqa student chooses among answer positions a..e; e-SNLI rows carry no choices, so no gold label has a position.
        var error = Assert.Throws<UserFacingException>(() => new EvaluateCommand(new StringWriter()).Execute(null!, new EvaluateCommand.Settings
        {
            Model = trained.ModelPath, Dataset = RepoPaths.Dataset("esnli"), Split = "test", Limit = 3,
        }, CancellationToken.None));

        Assert.Contains("none of the 3 rows of dataset esnli", error.Message);
        Assert.Contains("a, b, c, d, e", error.Message);
    }

    [Fact]
    public void Predict_WithRationale_PrintsAChoiceAndARationaleLine()
    {
        var output = new StringWriter();
        var code = new PredictCommand(output).Execute(null!, new PredictCommand.Settings
        {
            Model = trained.ModelPath, Text = "Where do you keep milk?", Choices = "fridge|shelf|car|bed|roof", Rationale = true,
        }, CancellationToken.None);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        Assert.Equal(0, code);
        Assert.Contains(lines.Single(l => l.StartsWith("prediction", StringComparison.Ordinal))["prediction".Length..].Trim(),
            new[] { "fridge", "shelf", "car", "bed", "roof" });
        Assert.StartsWith("a ", lines.Single(l => l.StartsWith("scores", StringComparison.Ordinal))["scores".Length..].Trim());
        Assert.Single(lines, l => l.StartsWith("rationale", StringComparison.Ordinal)); // two steps may generate an empty rationale
    }

    [Fact]
    public void Experiment_AtOneFractionAndSeed_Json_PrintsEachMethodNextToTheMajorityBaseline()
    {
        // What `distill` did (two students at one data size against the baseline) is `experiment` with one fraction and one seed.
        using var temp = new TempFolder();
        var output = new StringWriter();
        var code = new ExperimentCommand(output).Execute(null!, new ExperimentCommand.Settings
        {
            Dataset = RepoPaths.Dataset("cqa"), Methods = "step-by-step-teacher,distillation", Fractions = "0.004", Seeds = "3", TestRows = 4,
            ValidationRows = 0, Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 8, Out = temp.File("experiment"), Json = true,
        }, CancellationToken.None);
        using var json = JsonDocument.Parse(output.ToString());
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        var baseline = json.RootElement.GetProperty("baseline");

        Assert.Equal(0, code);
        Assert.Equal(["step-by-step-teacher", "distillation"], runs.Select(r => r.GetProperty("method").GetString()));
        Assert.All(runs, r => Assert.Equal((4, 2, 3), (r.GetProperty("testRows").GetInt32(), r.GetProperty("steps").GetInt32(), r.GetProperty("seed").GetInt32())));
        Assert.All(runs, r => Assert.InRange(r.GetProperty("accuracy").GetDouble(), 0, 1));
        Assert.Equal(runs[0].GetProperty("trainRows").GetInt32(), runs[1].GetProperty("trainRows").GetInt32());
        Assert.Equal(4, baseline.GetProperty("testRows").GetInt32());
        Assert.InRange(baseline.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.True(File.Exists(temp.File("experiment/results.json")));
    }

    /// <summary>One tiny model trained through <c>train --json</c>, shared by the tests that evaluate and predict with it.</summary>
    public sealed class TrainedModel : IDisposable
    {
        private readonly TempFolder temp = new();

        public TrainedModel()
        {
            ModelPath = Path.Combine(temp.Path, "model.zip");
            var output = new StringWriter();
            var code = new TrainCommand(output).Execute(null!, new TrainCommand.Settings
            {
                Dataset = RepoPaths.Dataset("cqa"), Fraction = 0.002, Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 8,
                Out = ModelPath, Json = true,
            }, CancellationToken.None);
            Assert.Equal(0, code);
            TrainJson = JsonDocument.Parse(output.ToString());
        }

        public string ModelPath { get; }

        public JsonDocument TrainJson { get; }

        public void Dispose()
        {
            TrainJson.Dispose();
            temp.Dispose();
        }
    }
}
