using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Experiments;

/// <summary>The experiment end to end on a very small configuration: e-SNLI, a tiny student, two steps a run.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class StepByStepExperimentTests
{
    private static StepByStepExperimentOptions Small(string outputFolder) => new()
    {
        DatasetFolder = Path.Combine(TrainingFixtures.RepoRoot, "datasets", "esnli"),
        Trainer = { TokenizerPath = TrainingFixtures.TokenizerPath, BatchSize = 4, MaxInputLength = 32, MaxTargetLength = 12 },
        Methods = [TrainingMethod.FineTuning, TrainingMethod.StepByStepTeacher],
        Fractions = [0.001, 0.002],
        Seeds = [1, 2],
        TestRows = 6,
        Steps = 2,
        OutputFolder = outputFolder,
        TeacherPricePerMillionInputTokens = 1,
        TeacherPricePerMillionOutputTokens = 2,
        Parallel = 1,   // the tests of one run after another; those of runs side by side set it
    };

    /// <summary>What must not depend on how many runs trained side by side: every field of a run but its timings.</summary>
    private static string[] Comparable(IEnumerable<ExperimentRunResult> runs) =>
        runs.Select(r => (r with { TrainSeconds = 0, EvaluationSeconds = 0 }).ToString()).ToArray();

    private static ExperimentRunResult[] RunsInFile(string folder) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json"))).RootElement.GetProperty("runs")
            .Deserialize<ExperimentRunResult[]>(ExperimentResultsFile.Json)!;

    /// <summary>2 methods x 2 fractions, eight steps each with dropout on: long enough for two runs to overlap.</summary>
    private static StepByStepExperimentOptions Grid(string folder, int parallel)
    {
        var options = Small(folder);
        options.Seeds = [1];
        options.Steps = 8;
        options.Parallel = parallel;
        return options;
    }

    [Fact]
    public void Two_runs_side_by_side_give_the_results_file_of_one_after_another()
    {
        using var one = new TempFolder();
        using var two = new TempFolder();
        var inFlight = 0;
        var mostInFlight = 0;
        var options = Grid(two.Path, parallel: 2);
        var started = new HashSet<int>();
        options.Progress = new Progress(p =>
        {
            lock (started)
            {
                if (p.Step is not null && started.Add(p.Run))
                {
                    mostInFlight = Math.Max(mostInFlight, ++inFlight);
                }
                else if (p.Finished is not null)
                {
                    inFlight--;
                }
            }
        });

        var sequential = new StepByStepExperiment(new MLContext(1), Grid(one.Path, parallel: 1)).Run();
        var sideBySide = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal(2, mostInFlight);
        Assert.Equal((1, 2), (sequential.Parallel, sideBySide.Parallel));
        Assert.Equal(4, sideBySide.Runs.Count);
        Assert.All(sideBySide.Runs, r => Assert.NotNull(r.FinalLoss));
        Assert.Equal(Comparable(sequential.Runs), Comparable(sideBySide.Runs));
        Assert.Equal(Comparable(RunsInFile(one.Path)), Comparable(RunsInFile(two.Path)));   // the plan's order, not the order runs finished in
        Assert.True(sideBySide.PeakMemoryBytes > 0 || !File.Exists("/proc/self/status"));
    }

    [Fact]
    public void Runs_side_by_side_killed_after_one_finished_keep_only_finished_runs_and_a_rerun_completes_them_as_if_never_killed()
    {
        using var reference = new TempFolder();
        using var temp = new TempFolder();
        var uninterrupted = new StepByStepExperiment(new MLContext(1), Grid(reference.Path, parallel: 1)).Run();

        var options = Grid(temp.Path, parallel: 2);
        using var cancel = new CancellationTokenSource();
        var finished = new List<int>();
        var trainingWhenCancelled = false;
        var training = new HashSet<int>();
        options.Progress = new Progress(p =>
        {
            lock (finished)
            {
                if (p.Finished is not null)
                {
                    finished.Add(p.Run);
                    training.Remove(p.Run);
                    if (!cancel.IsCancellationRequested)
                    {
                        trainingWhenCancelled = training.Count > 0;
                        cancel.Cancel();
                    }
                }
                else if (p.Step is not null && !finished.Contains(p.Run))
                {
                    training.Add(p.Run);
                }
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new StepByStepExperiment(new MLContext(1), options).Run(cancel.Token));
        Assert.True(trainingWhenCancelled, "no other run was in flight when the first finished");
        var kept = RunsInFile(temp.Path);
        Assert.InRange(kept.Length, 1, 3);
        Assert.Equal(finished.Count, kept.Length);   // only runs that finished, every one of them

        var trained = new List<int>();
        options.Progress = new Progress(p =>
        {
            lock (trained)
            {
                if (p.Finished is not null && !p.Skipped)
                {
                    trained.Add(p.Run);
                }
            }
        });
        var resumed = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal(Enumerable.Range(1, 4).Except(finished).Order(), trained.Order());
        Assert.Equal(Comparable(uninterrupted.Runs), Comparable(resumed.Runs));
        Assert.Equal(Comparable(RunsInFile(reference.Path)), Comparable(RunsInFile(temp.Path)));
    }

    [Fact]
    public void Equal_epochs_gives_each_fraction_its_share_of_the_steps_and_a_results_file_of_the_other_rule_is_refused()
    {
        using var temp = new TempFolder();
        var options = Small(temp.Path);
        options.Methods = [TrainingMethod.FineTuning];
        options.Fractions = [0.002, 0.004];
        options.Seeds = [1];
        options.Steps = 1000;   // on the whole pool: 0.004 of it trains 4 steps
        options.StepBudget = ExperimentStepBudget.EqualEpochs;

        var outcome = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal([(0.004, 4), (0.002, 2)], outcome.Runs.Select(r => (r.Fraction, r.Steps)));
        Assert.Contains("\"stepBudget\": \"EqualEpochs\"", File.ReadAllText(temp.File("results.json")));
        Assert.Contains("equal epochs", ExperimentMarkdownReport.Write(outcome));
        options.StepBudget = ExperimentStepBudget.EqualSteps;
        var refused = Assert.Throws<InvalidDataException>(() => new StepByStepExperiment(new MLContext(1), options).Run());
        Assert.Contains("StepBudget (results.json EqualEpochs, this run EqualSteps)", refused.Message);
    }

    [Fact]
    public void Interrupted_after_three_runs_a_rerun_trains_only_the_other_five_and_writes_the_report_and_plot()
    {
        using var temp = new TempFolder();
        var options = Small(temp.Path);
        using var cancel = new CancellationTokenSource();
        var first = new List<ExperimentRunProgress>();
        options.Progress = new Progress(p =>
        {
            first.Add(p);
            if (first.Count(x => x.Finished is not null) == 3)
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new StepByStepExperiment(new MLContext(1), options).Run(cancel.Token));
        using (var partial = JsonDocument.Parse(File.ReadAllText(temp.File("results.json"))))
        {
            Assert.Equal(3, partial.RootElement.GetProperty("runs").GetArrayLength());
        }

        var second = new List<ExperimentRunProgress>();
        options.Progress = new Progress(second.Add);
        var outcome = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal([true, true, true, false, false, false, false, false], second.Where(p => p.Finished is not null).Select(p => p.Skipped));
        Assert.DoesNotContain(second, p => p.Run <= 3 && p.Step is not null);   // the finished runs were not trained again
        Assert.Equal(8, outcome.Runs.Count);
        Assert.Equal(Enumerable.Range(1, 8), second.Where(p => p.Finished is not null).Select(p => p.Run));
        Assert.All(outcome.Runs, r => Assert.Equal((2, 6), (r.Steps, r.TestRows)));
        Assert.Equal([10, 20], outcome.Runs.Select(r => r.TrainRows).Distinct().Order());   // round(0.001 * 9842), round(0.002 * 9842)
        Assert.All(outcome.Runs, r => Assert.Equal(ConfidenceInterval.Wilson(r.Correct, r.TestRows), new ConfidenceInterval(r.AccuracyLow, r.AccuracyHigh)));

        var summary = outcome.Summary;
        Assert.Equal(["fine-tuning", "fine-tuning", "step-by-step-teacher", "step-by-step-teacher"], summary.Select(r => r.Method));
        Assert.All(summary, r => Assert.Equal(2, r.Seeds));
        Assert.Equal(outcome.Runs.Where(r => r.Method == "fine-tuning" && r.Fraction == 0.001).Average(r => r.Accuracy), summary[0].MeanAccuracy, 12);
        Assert.Equal(6, outcome.Teacher.TestRows);
        Assert.InRange(outcome.Teacher.Accuracy!.Value, 0, 1);
        Assert.True(outcome.Cost.PromptTokens > outcome.Cost.CompletionTokens);   // a few-shot prompt is longer than one answer
        Assert.Equal(1000 * (outcome.Cost.PromptTokens * 1 + outcome.Cost.CompletionTokens * 2) / 1e6, outcome.Cost.CostPer1000Rows!.Value, 9);

        using var results = JsonDocument.Parse(File.ReadAllText(temp.File("results.json")));
        var runs = results.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(8, runs.Length);
        Assert.Equal(outcome.Runs[7].Accuracy, runs[7].GetProperty("accuracy").GetDouble());
        Assert.Equal(4, results.RootElement.GetProperty("summary").GetArrayLength());

        var report = ExperimentMarkdownReport.Write(outcome, "stepdistill experiment --steps 2");
        Assert.Contains("| fine-tuning | gold | 0.1% | 10 | 2 |", report);
        Assert.Contains("| majority class | gold |", report);
        Assert.Contains("**Teacher:** palm-540b", report);
        Assert.Contains("## Is it worth it? Cost", report);
        var png = temp.File(AccuracyPlot.FileName);
        AccuracyPlot.Save(outcome, png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png).Take(4));
    }

    [Fact]
    public void A_results_file_made_with_other_settings_is_not_resumed()
    {
        using var temp = new TempFolder();
        var options = Small(temp.Path);
        options.Methods = [TrainingMethod.FineTuning];
        options.Fractions = [0.001];
        options.Seeds = [1];
        new StepByStepExperiment(new MLContext(1), options).Run();

        options.Steps = 3;
        var error = Assert.Throws<InvalidDataException>(() => new StepByStepExperiment(new MLContext(1), options).Run());

        Assert.Contains("results.json", error.Message);
        Assert.Contains("Steps (results.json 2, this run 3)", error.Message);

        // A trainer setting the file has no field for is recorded where it differs from the trainer's default.
        options.Steps = 2;
        options.Trainer.WeightDecay = 0.01;
        error = Assert.Throws<InvalidDataException>(() => new StepByStepExperiment(new MLContext(1), options).Run());
        Assert.Contains("OtherTrainerSettings (results.json default, this run WeightDecay=0.01)", error.Message);
    }

    [Fact]
    public void Report_only_trains_nothing_and_keeps_every_run_in_the_file()
    {
        using var temp = new TempFolder();
        var options = Small(temp.Path);
        options.Methods = [TrainingMethod.FineTuning];
        options.Fractions = [0.001];
        options.Seeds = [1, 2];
        new StepByStepExperiment(new MLContext(1), options).Run();

        options.Seeds = [1, 3];   // seed 3 never ran; seed 2 is not asked for
        options.ReportOnly = true;
        var steps = 0;
        options.Progress = new Progress(p => steps += p.Step is null ? 0 : 1);
        var outcome = new StepByStepExperiment(new MLContext(1), options).Run();

        Assert.Equal(0, steps);
        Assert.Equal([1], outcome.Runs.Select(r => r.Seed));
        using var file = JsonDocument.Parse(File.ReadAllText(temp.File("results.json")));
        Assert.Equal([1, 2], file.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("seed").GetInt32()));
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        var options = Small("unused");
        options.Fractions = [0.5, 1.5];
        Assert.Contains("StepByStepExperimentOptions.Fractions", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
        options = Small("unused");
        options.Seeds = [1, 1];
        Assert.Contains("StepByStepExperimentOptions.Seeds", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
        options = Small("unused");
        options.Parallel = 0;
        Assert.Contains("StepByStepExperimentOptions.Parallel", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);

        // The shared trainer settings are the trainer's own, checked by its options; each run sets its steps and seed.
        options = Small("unused");
        options.Trainer.BatchSize = 0;
        Assert.StartsWith("MultiTaskSeq2SeqTrainerOptions.BatchSize ", Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
        options = Small("unused");
        options.Trainer.MaxSteps = 5;
        Assert.StartsWith("StepByStepExperimentOptions.Trainer.MaxSteps must stay at the trainer's default (0)", Assert.Throws<ArgumentException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
        options = Small("unused");
        options.Trainer.Seed = 7;
        Assert.StartsWith("StepByStepExperimentOptions.Trainer.Seed ", Assert.Throws<ArgumentException>(() => new StepByStepExperiment(new MLContext(1), options)).Message);
    }

    [Fact]
    public void The_paper_recipe_is_the_papers_protocol()
    {
        var paper = StepByStepExperimentOptions.PaperRecipe("models/t5-v1_1-base");

        var trainer = paper.Trainer;
        Assert.Equal((5e-5, 64, 1024, 0.5f, 10_000, 250), (trainer.LearningRate!.Value, trainer.BatchSize, trainer.MaxInputLength, trainer.Alpha, paper.Steps, trainer.EvaluateEveryNSteps));
        Assert.Equal([0.125, 0.25, 0.5, 1.0], paper.Fractions);
        Assert.True(paper.ValidationRows > 0);
        Assert.Equal(("models/t5-v1_1-base", "cuda"), (trainer.Student, trainer.Device));
    }

    private sealed class Progress(Action<ExperimentRunProgress> report) : IProgress<ExperimentRunProgress>
    {
        public void Report(ExperimentRunProgress value) => report(value);
    }
}
