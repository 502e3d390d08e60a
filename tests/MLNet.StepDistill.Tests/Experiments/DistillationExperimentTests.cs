using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

[Collection(TorchRandomStateCollection.Name)]
public sealed class DistillationExperimentTests
{
    private static DistillationExperiment.Options SmallEsnli() => new()
    {
        DatasetFolder = Path.Combine(TrainingFixtures.RepoRoot, "datasets", "esnli"),
        TokenizerPath = TrainingFixtures.TokenizerPath,
        TrainRows = 24,
        TestRows = 6,
        Steps = 2,
        BatchSize = 8,
        MaxInputLength = 32,
        MaxTargetLength = 12,
        Seed = 3,
    };

    [Fact]
    public void Runs_the_baseline_and_each_mode_into_one_table_and_json()
    {
        var options = SmallEsnli();
        var reports = new List<ExperimentProgress>();
        options.Progress = new ListProgress(reports);

        using var report = new DistillationExperiment(new MLContext(1), options).Run();

        Assert.Equal(("esnli", "valid", 9842, "test", 9824), (report.Dataset, report.TrainSplit, report.PoolRows, report.TestSplit, report.TestSplitRows));
        Assert.Equal(["majority class", "step-by-step", "standard"], report.Results.Select(r => r.Model));
        Assert.Equal([0, 2, 2], report.Results.Select(r => r.Steps));
        Assert.All(report.Results, r => Assert.Equal((24, 6, "teacher"), (r.TrainRows, r.TestRows, r.LabelSource)));
        Assert.All(report.Results, r => Assert.InRange(r.Accuracy, 0, 1));
        Assert.All(report.Results, r => Assert.NotNull(r.LogLoss));
        Assert.All(report.Results.Skip(1), r => Assert.NotNull(r.FirstLoss));
        Assert.Equal([1, 1, 2, 2], reports.Select(p => (p.Run, p.Step.Step)).Select(p => p.Run));
        Assert.NotNull(report.BestStudent);
        Assert.Equal(report.Results.Skip(1).Max(r => r.Accuracy), report.Best!.Accuracy);

        var lines = ResultTable.Format(report.Results).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.All(ResultTable.Columns, column => Assert.Contains(column, lines[0]));
        Assert.StartsWith("step-by-step", lines[3]);
        Assert.Matches(@"^majority class\s+teacher\s+0\s+24\s+6\s", lines[2]);

        using var json = JsonDocument.Parse(ResultTable.ToJson(report, "model.zip", 1.5));
        Assert.Equal("esnli", json.RootElement.GetProperty("dataset").GetString());
        Assert.Equal("model.zip", json.RootElement.GetProperty("model").GetString());
        var rows = json.RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(3, rows.Length);
        Assert.Equal("standard", rows[2].GetProperty("mode").GetString());
        Assert.Equal(2, rows[2].GetProperty("steps").GetInt32());
        Assert.Equal(report.Results[1].Accuracy, rows[1].GetProperty("accuracy").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("firstLoss").ValueKind);
    }

    [Fact]
    public void Majority_class_baseline_answers_the_most_frequent_training_label()
    {
        static AnnotatedRow Row(string label) => new() { Label = label, TeacherLabel = label == "neutral" ? "entailment" : label, AnnotationStatus = "ok" };
        AnnotatedRow[] train = [Row("entailment"), Row("entailment"), Row("contradiction")];
        AnnotatedRow[] test = [Row("entailment"), Row("contradiction"), Row("contradiction"), Row("neutral")];
        string[] labels = ["entailment", "neutral", "contradiction"];

        var result = MajorityClassBaseline.Evaluate(new MLContext(1), MLNet.StepDistill.Tasks.TaskFamily.Nli, labels, train, test, LabelSource.Gold);

        Assert.Equal(0.25, result.Accuracy);
        Assert.Equal(1.0 / 3, result.MacroAccuracy!.Value, 12);
        // add-one prior over 3 classes and 3 rows: entailment 3/6, contradiction 2/6, neutral 1/6
        var expected = -(Math.Log(3.0 / 6) + 2 * Math.Log(2.0 / 6) + Math.Log(1.0 / 6)) / 4;
        Assert.Equal(expected, result.LogLoss!.Value, 12);
        Assert.Equal((0, 3, 4, "gold"), (result.Steps, result.TrainRows, result.TestRows, result.LabelSource));
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        var options = SmallEsnli();
        options.Modes = [];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationExperiment(new MLContext(1), options));
        Assert.Contains("Options.Modes", error.Message);
    }

    private sealed class ListProgress(List<ExperimentProgress> reports) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => reports.Add(value);
    }
}
