using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using TorchSharp;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// A training step leaves no tensor handle to the GC finaliser: a handle on a parameter's gradient that outlives its step
/// keeps that step's gradient buffers alive (the 2x memory of issue 13).
/// </summary>
public sealed class TrainingStepHandleTests
{
    [Fact]
    public void Steps_with_clipping_create_no_tensor_outside_a_dispose_scope()
    {
        var outsideAfterStep = new List<long>();
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning,
            LearningRate = 0.05,
            BatchSize = 2,
            GradientAccumulationSteps = 2,
            MaxGradientNorm = 0.5,
            MaxSteps = 6,
            Seed = 3,
            Progress = new Synchronous(_ => outsideAfterStep.Add(DisposeScopeManager.Statistics.CreatedOutsideScopeCount)),
        };
        var student = new ScriptedStudent(0.5);
        var head = new StudentAnswerSpec { Mode = TrainingMode.Standard, AnswerKind = TaskAnswerKind.Label, MaxInputLength = 8, MaxTargetLength = 8 };
        var host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        new TrainingLoop(student, new StudentPredictor(student, head), options, 3, host).Run(ScriptedStudent.Rows(4), null, CancellationToken.None);

        // The first step may create AdamW's state; every later step must create nothing that only the finaliser frees.
        Assert.Equal(6, outsideAfterStep.Count);
        Assert.All(outsideAfterStep.Skip(1), count => Assert.Equal(outsideAfterStep[1], count));
    }

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
