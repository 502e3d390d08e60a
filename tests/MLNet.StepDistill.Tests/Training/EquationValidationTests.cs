using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>Validation compares answers the way the task does: SVAMP's equations by value, not by text.</summary>
public sealed class EquationValidationTests
{
    [Fact]
    public void Math_validation_keeps_the_checkpoint_whose_equations_have_the_right_value_not_the_right_text()
    {
        // Gold "( 2.0 + 3.0 )" everywhere. Validation 0 answers "5" (the right value, other text) for every row; validation 1
        // answers the gold text for one row in four and "7" for the rest. By value the first is best (1.0 vs 0.25);
        // by text the second would be (0 vs 0.25).
        var (student, _) = Run(TaskAnswerKind.Equation);
        Assert.Equal(student.WeightsAtValidation[0], student.W);

        var (byText, _) = Run(TaskAnswerKind.Label);
        Assert.Equal(byText.WeightsAtValidation[1], byText.W);
        Assert.NotEqual(byText.WeightsAtValidation[0], byText.WeightsAtValidation[1]);
    }

    [Fact]
    public void The_answer_kind_comes_from_FormatStudentInput_when_the_options_leave_it_unset()
    {
        var ml = new MLContext(seed: 1);
        var svamp = TrainingFixtures.Dataset("svamp");
        var data = ml.Data.TakeRows(svamp.LoadSplit(ml, "train"), 2);
        var formatted = ml.StepDistill().Transforms.FormatStudentInput(svamp.Schema).Fit(data).Transform(data);
        var input = formatted.Schema["Input"];
        ReadOnlyMemory<char> kind = default;
        input.Annotations.GetGetter<ReadOnlyMemory<char>>(input.Annotations.Schema[StudentInputFormatter.AnswerKindAnnotation])(ref kind);
        Assert.Equal(nameof(TaskAnswerKind.Equation), kind.ToString());
    }

    private static (ScriptedStudent Student, List<TrainingProgress> Progress) Run(TaskAnswerKind comparison)
    {
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning,
            LearningRate = 0.05,
            LearningRateSchedule = LearningRateSchedule.Constant,
            BatchSize = 4,
            MaxGradientNorm = 0,
            MaxSteps = 4,
            EvaluateEveryNSteps = 2,
            Seed = 3,
        };
        var progress = new TrainingFixtures.ListProgress();
        options.Progress = progress;
        var student = new ScriptedStudent(0) { ScriptedText = (validation, row) => validation == 0 ? "5" : row == 0 ? "( 2.0 + 3.0 )" : "7" };
        var head = new StudentAnswerSpec { Mode = TrainingMode.Standard, AnswerKind = comparison, MaxInputLength = 8, MaxTargetLength = 8 };
        var host = ((IHostEnvironment)new MLContext(seed: 1)).Register("test");
        new TrainingLoop(student, new StudentPredictor(student, head), options, 3, host)
            .Run(ScriptedStudent.Rows(4), ScriptedStudent.Rows(4, "( 2.0 + 3.0 )"), CancellationToken.None);
        Assert.Equal(comparison == TaskAnswerKind.Equation ? [1.0, 0.25] : [0.0, 0.25], progress.Reports.Where(r => r.ValidationAccuracy is not null).Select(r => r.ValidationAccuracy!.Value));
        return (student, progress.Reports);
    }
}
