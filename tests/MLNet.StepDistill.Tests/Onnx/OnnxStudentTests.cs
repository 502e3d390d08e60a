using Microsoft.ML;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Export;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Onnx;

/// <summary>A freshly trained student, exported: the ONNX transformer answers as the TorchSharp one does, and survives an ML.NET zip.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class OnnxStudentTests
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
        public string PredictedRationale { get; set; } = "";
    }

    [Fact]
    public void Exported_student_gives_torchsharps_scores_labels_and_rationales_and_round_trips_through_an_mlnet_zip()
    {
        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(64));
        var rows = TrainingFixtures.CqaTestRows(5);
        var test = AnnotatedSplit.ToDataView(ml, rows);
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(TrainingFixtures.CqaOptions(TrainingMethod.StepByStepGold, steps: 30)).Fit(train);
        using var folder = new TempFolder();
        var exported = Path.Combine(folder.Path, "student-onnx");
        student.ExportOnnx(exported);

        using var onnx = ml.StepDistillOnnx().LoadStudent(exported, new OnnxRuntimeOptions { Threads = 1 });
        Assert.Equal(student.ClassNames, onnx.ClassNames);
        Assert.True(onnx.IsMultipleChoice);
        var torchExplaining = student.WithRationale();
        var onnxExplaining = onnx.WithRationale();
        var expected = ml.Data.CreateEnumerable<Answer>(torchExplaining.Transform(test), reuseRowObject: false).ToArray();
        var actual = ml.Data.CreateEnumerable<Answer>(onnxExplaining.Transform(test), reuseRowObject: false).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            AssertScoresClose(expected[i].Score, actual[i].Score, $"row {i}");
            Assert.Equal(expected[i].PredictedText, actual[i].PredictedText);
            Assert.Equal(expected[i].PredictedRationale, actual[i].PredictedRationale);
        }

        Assert.Contains(actual, a => a.PredictedRationale.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 3);
        Assert.Equal(
            ml.Data.CreateEnumerable<KeyRow>(torchExplaining.Transform(test), reuseRowObject: false).Select(r => r.PredictedLabel),
            ml.Data.CreateEnumerable<KeyRow>(onnxExplaining.Transform(test), reuseRowObject: false).Select(r => r.PredictedLabel));

        // Several rows in one call (one padded encoder batch) score as the rows do one at a time.
        var batched = onnx.Student.Answer(rows.Select(r => r.Input).ToArray(), rows.Select(r => (IReadOnlyList<string>)r.Choices).ToArray(), withRationale: false);
        for (var i = 0; i < rows.Count; i++)
        {
            AssertScoresClose(expected[i].Score, batched[i].Scores, $"batched row {i}");
        }

        var path = folder.File("onnx-student.zip");
        ml.StepDistillOnnx().SaveModel(onnxExplaining, test.Schema, path);
        var loaded = new MLContext(seed: 2).StepDistillOnnx().LoadModel(path, out var schema);
        try
        {
            Assert.Equal(test.Schema.Count, schema.Count);
            var engine = ml.Model.CreatePredictionEngine<Question, Answer>(loaded);
            var predicted = engine.Predict(new Question { Input = rows[0].Input, Choices = rows[0].Choices });
            AssertScoresClose(expected[0].Score, predicted.Score, "prediction engine");
            Assert.Equal(expected[0].PredictedRationale, predicted.PredictedRationale);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }

        Assert.Throws<InvalidOperationException>(() => { ml.Model.Save(onnx, test.Schema, folder.File("plain.zip")); });
    }

    /// <summary>
    /// Each score aggregation, from a current export (target log-probabilities from the graph) and from a format-1 folder
    /// (as exported before it: logits out, log-softmax in C#): the ONNX student's class scores are TorchSharp's.
    /// </summary>
    [Theory]
    [InlineData(ScoreAggregation.Sum)]
    [InlineData(ScoreAggregation.Mean)]
    [InlineData(ScoreAggregation.FirstToken)]
    public void A_student_exports_and_scores_as_torchsharp_does_with_each_aggregation_in_both_formats(ScoreAggregation aggregation)
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset("esnli");
        var train = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "valid").Take(32).ToArray());
        var test = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "test").Take(6).ToArray());
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning, Labels = dataset.Schema.Labels!.ToArray(),
            TokenizerPath = TrainingFixtures.TokenizerPath, MaxSteps = 6, BatchSize = 16,
            MaxInputLength = 64, MaxTargetLength = 8, Seed = 5, NumberOfThreads = 1, ScoreAggregation = aggregation,
        };
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        using var folder = new TempFolder();
        student.ExportOnnx(Path.Combine(folder.Path, "onnx"));
        var model = ((T5Student)student.Predictor.Student).Model;
        T5OnnxExport.Export(model, Path.Combine(folder.Path, "onnx-format1"), student.Spec with { GenerateRationale = student.GeneratesRationale }, OnnxStudentManifest.OldestFormatVersion);
        var expected = ml.Data.CreateEnumerable<Answer>(student.Transform(test), reuseRowObject: false).ToArray();
        Assert.Contains(expected, e => e.Score.Max() < 0.99f);

        foreach (var (export, format) in new[] { ("onnx", OnnxStudentManifest.CurrentFormatVersion), ("onnx-format1", OnnxStudentManifest.OldestFormatVersion) })
        {
            using var onnx = ml.StepDistillOnnx().LoadStudent(Path.Combine(folder.Path, export), new OnnxRuntimeOptions { Threads = 1 });
            Assert.Equal(format, onnx.Student.Model.Manifest.FormatVersion);
            Assert.Equal(aggregation, onnx.Student.Spec.ScoreAggregation);
            var actual = ml.Data.CreateEnumerable<Answer>(onnx.Transform(test), reuseRowObject: false).ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                AssertScoresClose(expected[i].Score, actual[i].Score, $"format {format} row {i}");
                Assert.Equal(expected[i].PredictedText, actual[i].PredictedText);
            }
        }
    }

    /// <summary>
    /// The two ways of answering the other tests leave out, trained briefly: an open-text (equation) student generating
    /// its answer and rationale, and a single-task student scoring each label after its own generated rationale. Both
    /// runtimes answer through the one <c>StudentAnswerer</c>, so the answers, rationales and scores agree.
    /// </summary>
    [Theory]
    [InlineData("svamp", "train", TrainingMethod.StepByStepGold)]
    [InlineData("esnli", "valid", TrainingMethod.SingleTask)]
    public void Open_text_and_single_task_students_answer_in_onnx_as_in_torchsharp(string name, string trainSplit, TrainingMethod method)
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset(name);
        var train = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, trainSplit).Take(32).ToArray());
        var test = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "test").Take(4).ToArray());
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = method, Labels = dataset.Schema.Labels?.ToArray(), AnswerKind = dataset.Manifest.Family.AnswerKind,
            TokenizerPath = TrainingFixtures.TokenizerPath, MaxSteps = 6, BatchSize = 16, LearningRate = 1e-3,
            MaxInputLength = 64, MaxTargetLength = 24, Seed = 5, NumberOfThreads = 1,
        };
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        Assert.Equal(dataset.Schema.Labels is null, student.IsOpenTarget);
        using var folder = new TempFolder();
        student.ExportOnnx(Path.Combine(folder.Path, "onnx"));
        using var onnx = ml.StepDistillOnnx().LoadStudent(Path.Combine(folder.Path, "onnx"), new OnnxRuntimeOptions { Threads = 1 });
        Assert.Equal(student.IsOpenTarget, onnx.IsOpenTarget);
        Assert.Equal(TrainingMethods.Mode(method), onnx.Student.Spec.Mode);

        var torchView = student.WithRationale().Transform(test);
        var onnxView = onnx.WithRationale().Transform(test);
        var expected = ml.Data.CreateEnumerable<Generated>(torchView, reuseRowObject: false).ToArray();
        var actual = ml.Data.CreateEnumerable<Generated>(onnxView, reuseRowObject: false).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].PredictedText, actual[i].PredictedText);
            Assert.Equal(expected[i].PredictedRationale, actual[i].PredictedRationale);
        }

        Assert.Contains(expected, e => e.PredictedText.Length > 0 || e.PredictedRationale.Length > 0);
        Assert.Equal(student.IsOpenTarget, onnxView.Schema.GetColumnOrNull("Score") is null);
        if (!student.IsOpenTarget)
        {
            var expectedScores = ml.Data.CreateEnumerable<Answer>(torchView, reuseRowObject: false).ToArray();
            var actualScores = ml.Data.CreateEnumerable<Answer>(onnxView, reuseRowObject: false).ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                AssertScoresClose(expectedScores[i].Score, actualScores[i].Score, $"{name} row {i}");
            }
        }
    }

    private sealed class Generated
    {
        public string PredictedText { get; set; } = "";
        public string PredictedRationale { get; set; } = "";
    }

    private sealed class KeyRow
    {
        public uint PredictedLabel { get; set; }
    }

    private static void AssertScoresClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var c = 0; c < expected.Length; c++)
        {
            Assert.True(Math.Abs(expected[c] - actual[c]) <= 1e-5, $"{what} class {c}: torch {expected[c]} onnx {actual[c]}");
        }
    }
}
