using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>One name per training method, in C#, the CLI and the files; the two facts a method stands for.</summary>
public sealed class TrainingMethodTests
{
    [Theory]
    [InlineData(TrainingMethod.FineTuning, "fine-tuning", TrainingMode.Standard, true)]
    [InlineData(TrainingMethod.Distillation, "distillation", TrainingMode.Standard, false)]
    [InlineData(TrainingMethod.StepByStepGold, "step-by-step-gold", TrainingMode.StepByStep, true)]
    [InlineData(TrainingMethod.StepByStepTeacher, "step-by-step-teacher", TrainingMode.StepByStep, false)]
    [InlineData(TrainingMethod.SingleTask, "single-task", TrainingMode.SingleTask, false)]
    [InlineData(TrainingMethod.StepByStepExplained, "step-by-step-explained", TrainingMode.StepByStep, true)]
    public void A_method_is_its_name_its_output_and_its_labels(TrainingMethod method, string name, TrainingMode mode, bool gold)
    {
        Assert.Equal(name, TrainingMethods.Name(method));
        Assert.Equal(method, TrainingMethods.Parse(name.ToUpperInvariant()));
        Assert.Equal(mode, TrainingMethods.Mode(method));
        Assert.Equal(gold, TrainingMethods.LearnsGoldLabels(method));
        Assert.Contains($"Method={name},", ResumeFingerprint.Of(new MultiTaskSeq2SeqTrainerOptions { Method = method }, seed: 1, totalSteps: 2, rows: 3));
    }

    [Fact]
    public void An_unknown_name_lists_the_known_ones() =>
        Assert.Contains("known: fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task, step-by-step-explained",
            Assert.Throws<ArgumentException>(() => TrainingMethods.Parse("standard")).Message);

    [Theory]
    [InlineData("Mode=Standard, LabelSource=Gold", "Method=fine-tuning")]
    [InlineData("Mode=Standard, LabelSource=Teacher", "Method=distillation")]
    [InlineData("Mode=StepByStep, LabelSource=Gold", "Method=step-by-step-gold")]
    [InlineData("Mode=StepByStep, LabelSource=Teacher", "Method=step-by-step-teacher")]
    [InlineData("Mode=SingleTask, LabelSource=Teacher", "Method=single-task")]
    [InlineData("Mode=SingleTask, LabelSource=Gold", "Mode=SingleTask, LabelSource=Gold")] // no method trains so: still refused
    public void A_checkpoint_fingerprint_written_with_mode_and_label_source_reads_as_the_method(string old, string now)
    {
        Assert.Equal($"Student=tiny, {now}, Alpha=0.5, steps=2", ResumeFingerprint.Upgrade($"Student=tiny, {old}, Alpha=0.5, steps=2"));
        var current = ResumeFingerprint.Of(new MultiTaskSeq2SeqTrainerOptions { Method = TrainingMethod.StepByStepTeacher }, seed: 1, totalSteps: 2, rows: 3);
        Assert.Equal(current, ResumeFingerprint.Upgrade(current));
    }

    [Fact]
    public void Train_step_by_step_explained_needs_rationales_that_explain_the_gold_labels()
    {
        using var temp = new TempFolder();

        var ex = Assert.Throws<UserFacingException>(() => TrainCommand.Run(new TrainCommand.Settings
        {
            Dataset = RepoPaths.Dataset("cqa"), Method = "step-by-step-explained", Fraction = 0.01, Steps = 1, Out = temp.File("model.zip"),
        }, CancellationToken.None, TextWriter.Null));

        Assert.StartsWith("train: --method step-by-step-explained learns rationales that explain the gold labels, but the rationales of train", ex.Message);
        Assert.Contains("annotate --rationales explain-gold --out FILE", ex.Message);
        Assert.False(File.Exists(temp.File("model.zip")));
    }
}
