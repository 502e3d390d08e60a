using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

public sealed class ScheduleAndBatchTests
{
    [Theory]
    [InlineData(0, 1e-3 * 1 / 4)]
    [InlineData(3, 1e-3)]
    [InlineData(4, 1e-3 * 6 / 6)]
    [InlineData(7, 1e-3 * 3 / 6)]
    [InlineData(9, 1e-3 * 1 / 6)]
    public void LinearSchedule_WarmsUpThenDecaysToZeroAtTheLastStep(int step, double expected) =>
        Assert.Equal(expected, ScheduledLearningRate.At(step, totalSteps: 10, warmupSteps: 4, baseRate: 1e-3, LearningRateSchedule.Linear), 12);

    [Fact]
    public void ConstantSchedule_StaysAtTheBaseRateAfterWarmUp() =>
        Assert.Equal(2e-4, ScheduledLearningRate.At(9, 10, 2, 2e-4, LearningRateSchedule.Constant), 12);

    [Fact]
    public void BatchPlan_CoversEveryRowOncePerEpoch_AndRepeatsForTheSameSeed()
    {
        var plan = new BatchPlan(rowCount: 10, batchSize: 4, seed: 5);
        Assert.Equal(3, plan.StepsPerEpoch);
        var epoch0 = Enumerable.Range(0, 3).SelectMany(plan.RowsOf).ToArray();
        var epoch1 = Enumerable.Range(3, 3).SelectMany(plan.RowsOf).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), epoch0.Order());
        Assert.Equal(Enumerable.Range(0, 10), epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);

        var again = new BatchPlan(10, 4, 5);
        Assert.Equal(plan.RowsOf(4), again.RowsOf(4));
        Assert.NotEqual(epoch0, Enumerable.Range(0, 3).SelectMany(new BatchPlan(10, 4, 6).RowsOf).ToArray());
    }

    [Fact]
    public void SingleTaskOutputs_SplitAtTheAnswerMarker()
    {
        Assert.Equal(("Rivers flow to the sea.", "ocean"), SingleTaskFormat.Split("Rivers flow to the sea. So the answer is ocean."));
        Assert.Equal(("", "ocean"), SingleTaskFormat.Split("ocean"));
        Assert.Equal("Because. So the answer is yes", MultiTaskStep.SingleTaskTarget("Because. ", "yes"));
    }
}
