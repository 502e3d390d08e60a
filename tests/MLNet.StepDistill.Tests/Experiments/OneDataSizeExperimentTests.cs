using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

/// <summary>
/// The quick comparison at one data size (what `distill` was): the experiment with one fraction and one seed, the
/// majority-class baseline it is read against, and its options.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class OneDataSizeExperimentTests
{
    private static StepByStepExperimentOptions OneSize() => new()
    {
        DatasetFolder = Path.Combine(TrainingFixtures.RepoRoot, "datasets", "esnli"),
        Trainer = { TokenizerPath = TrainingFixtures.TokenizerPath, BatchSize = 8, MaxInputLength = 32, MaxTargetLength = 12 },
        Methods = [TrainingMethod.StepByStepTeacher, TrainingMethod.Distillation],
        Fractions = [0.0025],
        Seeds = [3],
        Parallel = 1,   // the progress order below is one run after the other's
        ValidationRows = 0,
        TestRows = 6,
        Steps = 2,
    };

    [Fact]
    public void Runs_each_method_once_into_one_table_next_to_the_baseline()
    {
        var options = OneSize();
        var reports = new List<ExperimentRunProgress>();
        options.Progress = new ListProgress(reports);

        var outcome = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal(["step-by-step-teacher", "distillation"], outcome.Runs.Select(r => r.Method));
        Assert.All(outcome.Runs, r => Assert.Equal((25, 6, 2, 3, "teacher"), (r.TrainRows, r.TestRows, r.Steps, r.Seed, r.LabelSource)));
        Assert.All(outcome.Runs, r => Assert.InRange(r.Accuracy, 0, 1));
        Assert.All(outcome.Runs, r => Assert.NotNull(r.LogLoss));
        Assert.All(outcome.Runs, r => Assert.NotNull(r.FirstLoss));
        Assert.Equal((9842, 6), (outcome.Baseline.TrainRows, outcome.Baseline.TestRows));
        // Progress: each run's two steps, then the run itself finished, in the plan's order.
        Assert.Equal([(1, 1), (1, 2), (1, 0), (2, 1), (2, 2), (2, 0)], reports.Select(p => (p.Run, p.Step?.Step ?? 0)));
        Assert.All(reports.Where(p => p.Step is null), p => Assert.NotNull(p.Finished));

        var cells = ExperimentTable.Cells(outcome);
        Assert.Equal(["distillation", "majority class", "step-by-step-teacher"], cells.Select(row => row[0]).Where(m => !m.StartsWith("teacher (", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Single(cells, row => row[0].StartsWith("teacher (", StringComparison.Ordinal));
        Assert.All(cells, row => Assert.Equal(ExperimentTable.Columns.Count, row.Length));
    }

    [Fact]
    public void Majority_class_baseline_answers_the_most_frequent_training_label()
    {
        static AnnotatedRow Row(string label) => new() { Label = label, TeacherLabel = label == "neutral" ? "entailment" : label, AnnotationStatus = "ok" };
        AnnotatedRow[] train = [Row("entailment"), Row("entailment"), Row("contradiction")];
        AnnotatedRow[] test = [Row("entailment"), Row("contradiction"), Row("contradiction"), Row("neutral")];
        string[] labels = ["entailment", "neutral", "contradiction"];

        var result = MajorityClassBaseline.Evaluate(new MLContext(1), MLNet.StepDistill.Tasks.TaskFamily.Nli, labels, train, test, goldLabels: true);

        Assert.Equal(0.25, result.Accuracy);
        Assert.Equal(1.0 / 3, result.MacroAccuracy!.Value, 12);
        // add-one prior over 3 classes and 3 rows: entailment 3/6, contradiction 2/6, neutral 1/6
        var expected = -(Math.Log(3.0 / 6) + 2 * Math.Log(2.0 / 6) + Math.Log(1.0 / 6)) / 4;
        Assert.Equal(expected, result.LogLoss!.Value, 12);
        Assert.Equal((3, 4), (result.TrainRows, result.TestRows));
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        var options = OneSize();
        options.Methods = [];
        Assert.Contains("StepByStepExperimentOptions.Methods", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
        options = OneSize();
        options.Steps = 0;
        Assert.Contains("StepByStepExperimentOptions.Steps", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
    }

    private sealed class ListProgress(List<ExperimentRunProgress> reports) : IProgress<ExperimentRunProgress>
    {
        public void Report(ExperimentRunProgress value) => reports.Add(value);
    }
}
