using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// Each loop option against a <see cref="ScriptedStudent"/>: small exact arithmetic and scripted validation accuracies, so a
/// test fails when its option is ignored.
/// </summary>
public sealed class TrainingLoopOptionsTests
{
    [Fact]
    public void EvaluateEveryNSteps_ValidatesOnThoseStepsAndTheLast()
    {
        var (progress, student) = Run(o => { o.MaxSteps = 5; o.EvaluateEveryNSteps = 2; }, [0.5]);

        Assert.Equal([2, 4, 5], progress.Where(p => p.ValidationAccuracy is not null).Select(p => p.Step));
        Assert.Equal(3, student.WeightsAtValidation.Count);
    }

    [Fact]
    public void WithoutEvaluateEveryNSteps_ValidatesOnlyAtTheEnd()
    {
        var (progress, _) = Run(o => o.MaxSteps = 5, [0.5]);

        Assert.Equal([5], progress.Where(p => p.ValidationAccuracy is not null).Select(p => p.Step));
    }

    [Fact]
    public void KeepBestCheckpoint_ReturnsTheWeightsOfTheBestValidation_NotTheLast()
    {
        var (progress, student) = Run(o => { o.MaxSteps = 6; o.EvaluateEveryNSteps = 2; }, [0.25, 0.75, 0.5]);

        Assert.Equal([0.25, 0.75, 0.5], progress.Where(p => p.ValidationAccuracy is not null).Select(p => p.ValidationAccuracy!.Value));
        Assert.Equal(student.WeightsAtValidation[1], student.W);
        Assert.NotEqual(student.WeightsAtValidation[2], student.W);
    }

    [Fact]
    public void WithoutKeepBestCheckpoint_ReturnsTheLastWeights()
    {
        var (_, student) = Run(o => { o.MaxSteps = 6; o.EvaluateEveryNSteps = 2; o.KeepBestCheckpoint = false; }, [0.25, 0.75, 0.5]);

        Assert.Equal(student.WeightsAtValidation[2], student.W);
    }

    [Fact]
    public void EarlyStoppingPatience_StopsAfterThatManyValidationsWithoutImprovement()
    {
        var (progress, _) = Run(o => { o.MaxSteps = 10; o.EvaluateEveryNSteps = 1; o.EarlyStoppingPatience = 2; }, [0.5, 0.5, 0.25, 1.0]);

        Assert.Equal(3, progress.Count);
        Assert.Equal(10, progress[^1].TotalSteps);
    }

    [Fact]
    public void WithoutEarlyStoppingPatience_RunsEveryStep()
    {
        var (progress, _) = Run(o => { o.MaxSteps = 10; o.EvaluateEveryNSteps = 1; }, [0.5, 0.5, 0.25]);

        Assert.Equal(10, progress.Count);
    }

    [Fact]
    public void GradientAccumulation_SplitsTheBatch_AndSumsToTheGradientOfTheWholeBatch()
    {
        var (_, whole) = Run(o => { o.MaxSteps = 1; o.BatchSize = 8; }, [0], trainRows: 8);
        var (_, accumulated) = Run(o => { o.MaxSteps = 1; o.BatchSize = 8; o.GradientAccumulationSteps = 2; }, [0], trainRows: 8);

        Assert.Equal([8], whole.MicroBatchSizes);
        Assert.Equal([4, 4], accumulated.MicroBatchSizes);
        Assert.Equal(whole.WGradient[0], accumulated.WGradient[0], 4);
        Assert.Equal(whole.WGradient[1], accumulated.WGradient[1], 4);
        Assert.Equal(whole.W[0], accumulated.W[0], 6);
    }

    [Fact]
    public void MaxGradientNorm_ClipsTheGradientToThatNorm()
    {
        var (_, unclipped) = Run(o => o.MaxSteps = 1, [0]);
        var (_, clipped) = Run(o => { o.MaxSteps = 1; o.MaxGradientNorm = 0.01; }, [0]);

        static double Norm(ScriptedStudent s) => Math.Sqrt(s.WGradient.Append(s.LayerNormGradient).Sum(g => (double)g * g));
        Assert.True(Norm(unclipped) > 1, $"unclipped gradient norm {Norm(unclipped)}");
        Assert.Equal(0.01, Norm(clipped), 4);
    }

    [Fact]
    public void WeightDecay_ShrinksTheDecayedWeights_ButNotTheLayerNorms()
    {
        const double learningRate = 0.1, decay = 0.5;
        var (_, plain) = Run(o => { o.MaxSteps = 1; o.LearningRate = learningRate; }, [0]);
        var (_, decayed) = Run(o => { o.MaxSteps = 1; o.LearningRate = learningRate; o.WeightDecay = decay; }, [0]);

        // AdamW's decoupled decay: w <- w * (1 - lr * decay) before the Adam update, from w = (0.5, -0.25).
        Assert.Equal(plain.W[0] - (learningRate * decay * 0.5), decayed.W[0], 5);
        Assert.Equal(plain.W[1] - (learningRate * decay * -0.25), decayed.W[1], 5);
        Assert.Equal(plain.LayerNorm, decayed.LayerNorm);
    }

    private static (List<TrainingProgress> Progress, ScriptedStudent Student) Run(
        Action<MultiTaskSeq2SeqTrainerOptions> configure, double[] validationAccuracies, int trainRows = 4)
    {
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning,
            LearningRate = 0.05,
            LearningRateSchedule = LearningRateSchedule.Constant,
            BatchSize = 4,
            MaxGradientNorm = 0,
            Seed = 3,
        };
        configure(options);
        var progress = new TrainingFixtures.ListProgress();
        options.Progress = progress;
        var student = new ScriptedStudent(validationAccuracies);
        var head = new StudentAnswerSpec { Mode = TrainingMode.Standard, AnswerKind = TaskAnswerKind.Label, MaxInputLength = 8, MaxTargetLength = 8 };
        var host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        new TrainingLoop(student, new StudentPredictor(student, head), options, 3, host)
            .Run(ScriptedStudent.Rows(trainRows), ScriptedStudent.Rows(4), CancellationToken.None);
        return (progress.Reports, student);
    }
}
