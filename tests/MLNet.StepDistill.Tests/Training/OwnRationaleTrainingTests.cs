using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>A dataset with its own rationales trains step-by-step from C#, with no teacher; no rationales at all is an error.</summary>
public class OwnRationaleTrainingTests
{
    [Fact]
    public void StudentInputs_maps_the_datasets_rationale_column_to_Rationale_and_marks_those_rows_usable()
    {
        using var temp = new TempFolder();
        var dataset = TaskDataset.Open(OwnRationaleDataset.Write(temp));
        var ml = new MLContext(seed: 1);

        var rows = StudentInputs.Read(dataset.LoadSplit(ml, "train"), dataset.Schema);

        Assert.Equal("Playing a guitar on a stage is performing music.", rows[0].Rationale);
        Assert.Equal(StudentInputs.OwnRationale, rows[0].AnnotationStatus);
        Assert.Equal("entailment", rows[0].Label);
        Assert.Equal("", rows[0].TeacherLabel);
        Assert.Equal("A man is playing a guitar on a stage.</s>A man is performing music.", rows[0].Input);
        Assert.Equal(("", StudentInputs.NotAnnotated), (rows[23].Rationale, rows[23].AnnotationStatus));
        Assert.Equal(("", StudentInputs.NotAnnotated), (rows[26].Rationale, rows[26].AnnotationStatus));
    }

    [Fact]
    public void Trains_step_by_step_on_its_own_rationales_with_no_teacher()
    {
        using var temp = new TempFolder();
        var dataset = TaskDataset.Open(OwnRationaleDataset.Write(temp));
        var ml = new MLContext(seed: 1);
        var train = StudentInputs.Create(ml, dataset.LoadSplit(ml, "train"), dataset.Schema);
        var progress = new TrainingFixtures.ListProgress();
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.StepByStepGold, Labels = dataset.Schema.Labels!.ToArray(),
            MaxSteps = 2, BatchSize = 30, MaxInputLength = 48, MaxTargetLength = 16, Seed = 3, NumberOfThreads = 1, Progress = progress,
        };

        var counts = TrainingRowCounts.Count(train, options);
        using var model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);

        Assert.Equal(new TrainingRowCounts(OwnRationaleDataset.TrainRows, OwnRationaleDataset.TrainRows, OwnRationaleDataset.TrainRows - OwnRationaleDataset.TrainRowsWithoutRationale), counts);
        Assert.Equal(2, progress.Reports.Count);
        Assert.All(progress.Reports, r => Assert.True(r.RationaleLoss > 0)); // every batch (all 30 rows) held rationales
        Assert.All(progress.Reports, r => Assert.True(r.LabelLoss > 0));
    }

    [Theory]
    [InlineData(TrainingMethod.StepByStepGold)]
    [InlineData(TrainingMethod.SingleTask)]
    public void A_mode_that_learns_rationales_on_rows_with_none_fails_naming_the_column_and_where_rationales_come_from(TrainingMethod method)
    {
        using var temp = new TempFolder();
        var dataset = TaskDataset.Open(OwnRationaleDataset.Write(temp));
        var withoutRationales = dataset.Schema with { RationaleField = null };
        var ml = new MLContext(seed: 1);
        var train = StudentInputs.Create(ml, dataset.LoadSplit(ml, "train"), withoutRationales);
        var options = new MultiTaskSeq2SeqTrainerOptions { Method = method, Labels = dataset.Schema.Labels!.ToArray(), MaxSteps = 1 };

        var ex = Assert.Throws<ArgumentException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train));

        Assert.StartsWith("MultiTaskSeq2SeqTrainerOptions.RationaleColumnName:", ex.Message);
        Assert.Contains($"none of the {OwnRationaleDataset.TrainRows} rows", ex.Message);
        Assert.Contains("\"Rationale\"", ex.Message);
        Assert.Contains("AnnotateRationales", ex.Message);
        Assert.Contains("rationaleField", ex.Message);
    }

    [Fact]
    public void Standard_mode_and_alpha_one_need_no_rationales()
    {
        Assert.False(TrainingRowCounts.NeedsRationales(new MultiTaskSeq2SeqTrainerOptions { Method = TrainingMethod.Distillation }));
        Assert.False(TrainingRowCounts.NeedsRationales(new MultiTaskSeq2SeqTrainerOptions { Method = TrainingMethod.StepByStepTeacher, Alpha = 1 }));
        Assert.True(TrainingRowCounts.NeedsRationales(new MultiTaskSeq2SeqTrainerOptions { Method = TrainingMethod.StepByStepTeacher, Alpha = 0.5f }));
        Assert.True(TrainingRowCounts.NeedsRationales(new MultiTaskSeq2SeqTrainerOptions { Method = TrainingMethod.SingleTask }));
    }
}
