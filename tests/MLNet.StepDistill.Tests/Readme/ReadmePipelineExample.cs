// README:usings:begin
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;
// README:usings:end

namespace MLNet.StepDistill.Tests.Readme;

/// <summary>
/// The README's pipeline example, compiled and run by <see cref="ReadmeExampleTests"/>. The README's code block is the
/// marked usings, the marked body and the marked row classes of this file, character for character (the test checks it):
/// edit them here, then copy them there.
/// </summary>
internal static class ReadmePipelineExample
{
    public static (MulticlassClassificationMetrics Metrics, NliPrediction Served, string[] Classes) Run()
    {
        // README:begin
        var ml = new MLContext(seed: 1);
        var esnli = TaskDataset.Open("datasets/esnli");
        IDataView pool = ml.Data.TakeRows(esnli.LoadSplit(ml, "valid"), 400);   // e-SNLI ships valid as its training pool
        IDataView test = ml.Data.TakeRows(esnli.LoadSplit(ml, "test"), 100);

        // 1. The teacher labels and explains each row: here PaLM 540B's recorded completions; any IChatClient works alike.
        //    Annotation prepares training data: it runs once, here, and is not part of the model.
        var teacher = RecordedTeacher.Open(esnli.Manifest, "valid", "palm-540b");
        var annotator = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(esnli.Manifest));
        IDataView annotated = annotator.Fit(pool).Transform(pool);   // + Rationale, TeacherLabel, AnnotationStatus

        // 2. One pipeline: the paper's input format (saved in the model), ML.NET's key label, the student, which learns
        //    "predict: x" -> label and "explain: x" -> rationale at once. The keys are dataset.json's labels in its order
        //    (ML.NET's own MapValueToKey would number them in the order the rows first show them).
        var pipeline = ml.StepDistill().Transforms.FormatStudentInput(esnli.Schema)   // premise, hypothesis -> Input
            .Append(ml.StepDistill().MapLabelToKey(esnli.Schema.Labels!, "Label", "label"))   // the classes, as ML.NET keys
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(new MultiTaskSeq2SeqTrainerOptions
            {
                Method = TrainingMethod.StepByStepTeacher, Alpha = 0.5f,
                Student = "tiny",   // a preset trained from scratch, or a Hugging Face T5 checkpoint folder
                MaxSteps = 30, BatchSize = 8, LearningRate = 1e-3, MaxInputLength = 64, MaxTargetLength = 32,
            }));
        var model = pipeline.Fit(annotated);

        // 3. ML.NET's metrics on raw test rows: Score holds one probability per class, PredictedLabel has Label's keys.
        //    Score's slot names say which class each slot is: here entailment, neutral, contradiction.
        IDataView scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        string[] classes = slotNames.DenseValues().Select(name => name.ToString()).ToArray();
        Console.WriteLine($"accuracy {metrics.MicroAccuracy:F3}, log-loss {metrics.LogLoss:F3}, classes {string.Join(", ", classes)}");

        // 4. Save, load and serve raw rows: the format and the student's weights travel inside the model zip.
        var zip = Path.Combine(Path.GetTempPath(), "esnli-student.zip");
        ml.StepDistill().SaveModel(model, annotated.Schema, zip);
        model.LastTransformer.Dispose();                                // frees the trained student's weights
        using var loaded = ml.StepDistill().LoadModel(zip, out _);      // owns its student: disposing frees it
        var engine = ml.Model.CreatePredictionEngine<NliRow, NliPrediction>(loaded);
        var served = engine.Predict(new NliRow { Premise = "A man sleeps on a bench.", Hypothesis = "A person is resting." });
        Console.WriteLine($"{served.PredictedText}: {string.Join(", ", classes.Zip(served.Score, (c, s) => $"{c} {s:F2}"))}");
        // README:end
        return (metrics, served, classes);
    }
}

// README:types:begin
// Your row classes: the dataset's raw columns in, the student's columns out.
public sealed class NliRow
{
    [ColumnName("premise")] public string Premise { get; set; } = "";
    [ColumnName("hypothesis")] public string Hypothesis { get; set; } = "";
    [ColumnName("label")] public string Label { get; set; } = "";   // read by the key map; empty when serving
}

public sealed class NliPrediction
{
    public string PredictedText { get; set; } = "";
    public float[] Score { get; set; } = [];
}
// README:types:end
