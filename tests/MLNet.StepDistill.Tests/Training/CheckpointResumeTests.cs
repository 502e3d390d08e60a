using Microsoft.ML;
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

        var uninterruptedOptions = TrainingFixtures.CqaOptions(TrainingMode.StepByStep, steps);
        uninterruptedOptions.BatchSize = 8;
        using var uninterrupted = ml.StepDistill().Trainers.MultiTaskSeq2Seq(uninterruptedOptions).Fit(train);

        var folder = Directory.CreateTempSubdirectory("stepdistill-ckpt-").FullName;
        try
        {
            using var cancel = new CancellationTokenSource();
            var interruptedOptions = TrainingFixtures.CqaOptions(TrainingMode.StepByStep, steps);
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
            var resumeOptions = TrainingFixtures.CqaOptions(TrainingMode.StepByStep, steps);
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
            var options = TrainingFixtures.CqaOptions(TrainingMode.Standard, steps: 1);
            options.CheckpointFolder = folder;
            using (ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train))
            {
            }

            var other = TrainingFixtures.CqaOptions(TrainingMode.Standard, steps: 2);
            other.CheckpointFolder = folder;
            other.Resume = true;
            var error = Assert.Throws<InvalidDataException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(other).Fit(train));
            Assert.Contains("steps=1", error.Message);
            Assert.Contains("steps=2", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
