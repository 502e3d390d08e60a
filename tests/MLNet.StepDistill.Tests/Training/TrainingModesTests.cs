using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class TrainingModesTests
{
    [Theory]
    [InlineData(TrainingMethod.FineTuning)]
    [InlineData(TrainingMethod.StepByStepGold)]
    [InlineData(TrainingMethod.SingleTask)]
    public void EveryMode_TrainsAndEvaluates_ThroughTheSamePipeline(TrainingMethod method)
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(32));
        var test = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTestRows(6));
        var progress = new TrainingFixtures.ListProgress();
        var options = TrainingFixtures.CqaOptions(method, steps: 2);
        options.MaxTargetLength = 12;
        options.Progress = progress;

        var pipeline = ml.StepDistill().MapChoiceLabelToKey(5, "LabelKey", "Label", "Choices")
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options));
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), labelColumnName: "LabelKey");

        Assert.Equal(5, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.Equal(2, progress.Reports.Count);
        var last = progress.Reports[^1];
        Assert.Equal(method == TrainingMethod.StepByStepGold, last.RationaleLoss is not null);
        Assert.Equal(method, model.LastTransformer.Method); // saved with the student (head.json "method")
        Assert.NotNull(last.LabelLoss);
    }

    [Fact]
    public void AlphaOne_TrainsExactlyAsStandardMode()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(24));
        var standardProgress = new TrainingFixtures.ListProgress();
        var standardOptions = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 3);
        standardOptions.Progress = standardProgress;
        var alphaProgress = new TrainingFixtures.ListProgress();
        var alphaOptions = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 3);
        alphaOptions.Alpha = 1f;
        alphaOptions.Progress = alphaProgress;

        using var standard = ml.StepDistill().Trainers.MultiTaskSeq2Seq(standardOptions).Fit(train);
        using var alphaOne = ml.StepDistill().Trainers.MultiTaskSeq2Seq(alphaOptions).Fit(train);

        Assert.Equal(standardProgress.Reports.Select(p => p.Loss), alphaProgress.Reports.Select(p => p.Loss));
        Assert.Equal(standardProgress.Reports.Select(p => p.LabelLoss), alphaProgress.Reports.Select(p => p.Loss).Cast<double?>());
        var expected = TrainingFixtures.Weights(standard);
        var actual = TrainingFixtures.Weights(alphaOne);
        Assert.All(expected, kv => Assert.Equal(kv.Value, actual[kv.Key]));
    }

    [Fact]
    public void HalfAlpha_WeighsTheTwoLossesEqually()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(16));
        var progress = new TrainingFixtures.ListProgress();
        var options = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 1);
        options.Progress = progress;
        options.Alpha = 0.25f;
        using var _ = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);

        var step = progress.Reports.Single();
        // A tolerance, not rounding to 4 places: the loss is a float32, and two float32 sums can straddle a rounding boundary.
        Assert.Equal(0.25 * step.LabelLoss!.Value + 0.75 * step.RationaleLoss!.Value, step.Loss, tolerance: 1e-5 * Math.Abs(step.Loss));
        Assert.NotEqual(step.LabelLoss!.Value, step.RationaleLoss!.Value, 2);
    }
}
