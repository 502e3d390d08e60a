using Microsoft.ML;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class CheckpointResumeTests
{
    [Fact]
    public void ARunKilledAfterItsLastCheckpoint_AndResumed_EndsWithTheWeightsOfAnUninterruptedRun()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(40));
        const int steps = 5;

        var uninterruptedOptions = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps);
        uninterruptedOptions.BatchSize = 8;
        using var uninterrupted = ml.StepDistill().Trainers.MultiTaskSeq2Seq(uninterruptedOptions).Fit(train);

        var folder = Directory.CreateTempSubdirectory("stepdistill-ckpt-").FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var interruptedOptions = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps);
            interruptedOptions.BatchSize = 8;
            interruptedOptions.CheckpointFolder = folder;
            interruptedOptions.CheckpointEveryNSteps = 2;
            // Killed during step 4: steps 3 and 4 are lost, the checkpoint of step 2 is what survives.
            interruptedOptions.Progress = new TrainingFixtures.ListProgress(p =>
            {
                if (p.Step == 3)
                {
                    cancel.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() =>
                ml.StepDistill().Trainers.MultiTaskSeq2Seq(interruptedOptions).Fit(train, null, cancel.Token));
            Assert.True(File.Exists(TrainingCheckpoint.PathIn(folder)));

            var resumedProgress = new TrainingFixtures.ListProgress();
            var resumeOptions = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps);
            resumeOptions.BatchSize = 8;
            resumeOptions.CheckpointFolder = folder;
            resumeOptions.CheckpointEveryNSteps = 2;
            resumeOptions.Resume = true;
            resumeOptions.Progress = resumedProgress;
            using var resumed = ml.StepDistill().Trainers.MultiTaskSeq2Seq(resumeOptions).Fit(train);

            Assert.Equal([3, 4, 5], resumedProgress.Reports.Select(p => p.Step));
            var expected = TrainingFixtures.Weights(uninterrupted);
            var actual = TrainingFixtures.Weights(resumed);
            Assert.All(expected, kv => Assert.Equal(kv.Value, actual[kv.Key]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ResumingWithOtherSettings_IsRefusedWithTheDifference()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(16));
        var folder = Directory.CreateTempSubdirectory("stepdistill-ckpt-").FullName;
        try
        {
            var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
            options.CheckpointFolder = folder;
            using (ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train))
            {
            }

            var other = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 2);
            other.CheckpointFolder = folder;
            other.Resume = true;
            var error = Assert.Throws<ModelFormatException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(other).Fit(train));
            Assert.Contains("steps (checkpoint 1, this run 2)", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("MaxInputLength", "checkpoint 64, this run 32")]
    [InlineData("MaxTargetLength", "checkpoint 24, this run 12")]
    [InlineData("WarmupSteps", "checkpoint 2, this run 0")]
    [InlineData("LearningRateSchedule", "checkpoint Linear, this run Constant")]
    [InlineData("Student", "checkpoint tiny, this run t5-small")]
    public void ResumingWithAnotherOption_IsRefused_NamingTheOption(string option, string difference)
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(4));
        using var temp = new TempFolder();
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        options.CheckpointFolder = temp.Path;
        new TrainingCheckpoint { Step = 1, Fingerprint = ResumeFingerprint.Of(options, options.Seed!.Value, 1, 4) }
            .Write(temp.Path, TorchSharp.torch.nn.Linear(1, 1), TorchSharp.torch.optim.SGD(TorchSharp.torch.nn.Linear(1, 1).parameters(), 0.1));

        var other = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        other.CheckpointFolder = temp.Path;
        other.Resume = true;
        other.MaxInputLength = option == "MaxInputLength" ? 32 : other.MaxInputLength;
        other.MaxTargetLength = option == "MaxTargetLength" ? 12 : other.MaxTargetLength;
        other.WarmupSteps = option == "WarmupSteps" ? 0 : other.WarmupSteps;
        other.LearningRateSchedule = option == "LearningRateSchedule" ? LearningRateSchedule.Constant : other.LearningRateSchedule;
        other.Student = option == "Student" ? "t5-small" : other.Student;

        var error = Assert.Throws<ModelFormatException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(other).Fit(train));

        Assert.Contains($"{option} ({difference})", error.Message);
        Assert.DoesNotContain("Alpha (", error.Message);
    }

    [Fact]
    public void ATruncatedCheckpoint_IsAnErrorNamingTheFile_AndHowToRecover()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(4));
        using var temp = new TempFolder();
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        options.MaxInputLength = 16;
        options.MaxTargetLength = 4;
        options.CheckpointFolder = temp.Path;
        using (ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train))
        {
        }

        var path = TrainingCheckpoint.PathIn(temp.Path);
        using (var stream = File.OpenWrite(path))
        {
            stream.SetLength(stream.Length / 2);
        }

        options.Resume = true;
        var error = Assert.Throws<FileIntegrityException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train));

        Assert.Contains(path, error.Message);
        Assert.Contains("damaged", error.Message);
        Assert.Contains("--resume", error.Message);
    }
}
