using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>The trainer follows its MLContext as ML.NET's GPU trainers do: CancelExecution stops it, GpuDeviceId picks the device.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class MLContextSettingsTests
{
    [Fact]
    public void CancelExecution_on_the_context_stops_training_at_the_next_step()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(TrainingFixtures.CqaTrainRows(16));
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 50);
        var progress = new TrainingFixtures.ListProgress(p =>
        {
            if (p.Step == 2)
            {
                CancelExecution(ml);
            }
        });
        options.Progress = progress;
        var error = Assert.Throws<OperationCanceledException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train));
        Assert.Contains("CancelExecution", error.Message);
        Assert.Equal(2, progress.Reports.Count);
    }

    /// <summary>ML.NET keeps <c>MLContext.CancelExecution</c> internal, for its own components (AutoML, Model Builder): reach it by reflection.</summary>
    private static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!
            .Invoke(ml, null);

    [Fact]
    public void A_GpuDeviceId_without_CUDA_falls_back_to_the_CPU_only_when_the_context_allows_it()
    {
        var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        if (TorchSharp.torch.cuda.is_available())
        {
            Assert.Equal("cuda:0", StudentDevice.Resolve(ml, null));
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(() => StudentDevice.Resolve(ml, null));
        Assert.Contains("FallbackToCpu", error.Message);
        ml.FallbackToCpu = true;
        Assert.Equal("cpu", StudentDevice.Resolve(ml, null));
        Assert.Equal("cpu", StudentDevice.Resolve(new MLContext(), null));
        Assert.Equal("cpu", StudentDevice.Resolve(ml, "cpu"));
    }
}
