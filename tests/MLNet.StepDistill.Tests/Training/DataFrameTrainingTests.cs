using Microsoft.Data.Analysis;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class DataFrameTrainingTests
{
    [Fact]
    public void AStudentTrainsFromADataFrame_AndScoresItsFixedLabelSet()
    {
        var rows = AnnotatedSplit.Read(new MLContext(), TrainingFixtures.Dataset("anli1"), "valid").Take(24).ToArray();
        var frame = new DataFrame(
            new StringDataFrameColumn("Input", rows.Select(r => r.Input)),
            new StringDataFrameColumn("Label", rows.Select(r => r.Label)),
            new StringDataFrameColumn("Rationale", rows.Select(r => r.Rationale)),
            new StringDataFrameColumn("TeacherLabel", rows.Select(r => r.TeacherLabel)),
            new StringDataFrameColumn("AnnotationStatus", rows.Select(r => r.AnnotationStatus)));
        var labels = new[] { "entailment", "neutral", "contradiction" };
        var ml = new MLContext(seed: 3);
        var options = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 2);
        options.ChoicesColumnName = null;
        options.Labels = labels;
        options.Method = TrainingMethod.StepByStepTeacher;

        var model = ml.StepDistill().MapLabelToKey(labels, "LabelKey", "Label")
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options))
            .Fit(frame);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(frame), labelColumnName: "LabelKey");

        Assert.Equal(3, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.Equal(labels, model.LastTransformer.ClassNames);
        Assert.True(double.IsFinite(metrics.LogLoss));
    }
}
