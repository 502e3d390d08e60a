using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class MultiTaskSeq2SeqTrainerEndToEndTests
{
    private sealed class Question
    {
        public string Input { get; set; } = "";
        public string[] Choices { get; set; } = [];
    }

    private sealed class Answer
    {
        public float[] Score { get; set; } = [];
        public string PredictedText { get; set; } = "";
    }

    [Fact]
    public void CqaStudentFromScratch_LowersLoss_EvaluatesThroughMLNet_AndRoundTripsThroughTheModelZip()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(300));
        var test = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTestRows(30));
        var progress = new TrainingFixtures.ListProgress();
        var options = TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 40);
        options.Progress = progress;
        options.Method = TrainingMethod.StepByStepTeacher;

        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);

        Assert.Equal(40, progress.Reports.Count);
        var first = progress.Reports[0].Loss;
        var lastFive = progress.Reports.TakeLast(5).Average(p => p.Loss);
        Assert.True(lastFive < 0.7 * first, $"loss went from {first} to {lastFive}");
        Assert.All(progress.Reports, p => Assert.NotNull(p.RationaleLoss));

        var labelKey = ml.StepDistill().MapChoiceLabelToKey(student.ClassNames.Count, "LabelKey", "Label", "Choices").Fit(test);
        var scored = student.Transform(labelKey.Transform(test));
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "LabelKey");
        Assert.InRange(metrics.MicroAccuracy, 0, 1);
        Assert.True(double.IsFinite(metrics.LogLoss));
        Assert.Equal(5, metrics.ConfusionMatrix.NumberOfClasses);
        Assert.Equal(["a", "b", "c", "d", "e"], student.ClassNames);
        var keyed = ml.Transforms.Conversion.MapKeyToValue("PredictedLetter", "PredictedLabel").Fit(scored).Transform(scored);
        var letters = keyed.GetColumn<string>("PredictedLetter").ToArray();
        var texts = keyed.GetColumn<string>("PredictedText").ToArray();
        var choices = TrainingFixtures.CqaTestRows(30).Select(r => r.Choices).ToArray();
        Assert.All(Enumerable.Range(0, letters.Length), i => Assert.Equal(choices[i][letters[i][0] - 'a'], texts[i]));

        var path = Path.Combine(Path.GetTempPath(), $"stepdistill-e2e-{Guid.NewGuid():N}.zip");
        try
        {
            ml.StepDistill().SaveModel(student, test.Schema, path);
            var loaded = ml.StepDistill().LoadModel(path, out var schema);
            Assert.Equal(test.Schema.Count, schema.Count);
            var before = ml.Data.CreateEnumerable<Answer>(scored, reuseRowObject: false).ToArray();
            var after = ml.Data.CreateEnumerable<Answer>(loaded.Transform(test), reuseRowObject: false).ToArray();
            Assert.Equal(before.Length, after.Length);
            for (var i = 0; i < before.Length; i++)
            {
                Assert.Equal(before[i].Score, after[i].Score);
                Assert.Equal(before[i].PredictedText, after[i].PredictedText);
            }

            var engine = ml.Model.CreatePredictionEngine<Question, Answer>(loaded);
            var row = TrainingFixtures.CqaTestRows(1)[0];
            var predicted = engine.Predict(new Question { Input = row.Input, Choices = row.Choices });
            // One row alone against the batched transform: the same numbers to float rounding (the vocabulary projection
            // runs over a different number of positions, so the matmul may round differently).
            Assert.Equal(before[0].Score.Length, predicted.Score.Length);
            Assert.All(Enumerable.Range(0, before[0].Score.Length), c => Assert.Equal(before[0].Score[c], predicted.Score[c], 1e-6));
            Assert.Contains(predicted.PredictedText, row.Choices);

            var folder = Directory.CreateTempSubdirectory("stepdistill-hf-").FullName;
            student.SavePretrained(folder);
            using var reloaded = T5ForConditionalGeneration.FromPretrained(folder, TorchSharp.torch.CPU);
            Assert.Equal(student.Predictor.Student.Module.state_dict().Count, reloaded.state_dict().Count);
            Directory.Delete(folder, recursive: true);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PlainMLNetLoad_OfAModelWithAStudent_SaysWhichLoaderToUse()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(16));
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        var path = Path.Combine(Path.GetTempPath(), $"stepdistill-plain-{Guid.NewGuid():N}.zip");
        try
        {
            var saveError = Assert.Throws<InvalidOperationException>(() => ml.Model.Save(student, train.Schema, path));
            Assert.Contains("StepDistill().SaveModel", saveError.Message);

            ml.StepDistill().SaveModel(student, train.Schema, path);
            ml.ComponentCatalog.RegisterAssembly(typeof(Seq2SeqStudentTransformer).Assembly);
            var loadError = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));
            Assert.Contains("StepDistill().LoadModel", Flatten(loadError));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DisposingTheRationaleView_LeavesTheOriginalStudentWorking()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(16));
        var test = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTestRows(2));
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 1)).Fit(train);

        student.WithRationale().Dispose();
        var predicted = student.Transform(test).GetColumn<string>("PredictedText").ToArray();

        Assert.Equal(2, predicted.Length);
        Assert.All(predicted.Zip(TrainingFixtures.CqaTestRows(2)), p => Assert.Contains(p.First, p.Second.Choices));
    }

    private static string Flatten(Exception ex) => ex.InnerException is null ? ex.Message : ex.Message + " | " + Flatten(ex.InnerException);
}
