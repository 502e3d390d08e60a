using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Tests.Readme;

/// <summary>
/// The README's pipeline example, compiled and run by <see cref="ReadmeExampleTests"/>. The lines between the markers are
/// the README's code block, character for character (the test checks it): edit them here, then copy them there.
/// </summary>
internal static class ReadmePipelineExample
{
    public static (MulticlassClassificationMetrics Metrics, NliPrediction Served) Run()
    {
        // README:begin
        var ml = new MLContext(seed: 1);
        var esnli = TaskDataset.Open("datasets/esnli");
        IDataView pool = ml.Data.TakeRows(esnli.LoadSplit(ml, "valid"), 400);   // e-SNLI ships valid as its training pool
        IDataView test = ml.Data.TakeRows(esnli.LoadSplit(ml, "test"), 100);

        // 1. The teacher labels and explains each row: here PaLM 540B's recorded completions; any IChatClient works alike.
        var teacher = RecordedTeacher.Open(esnli.Manifest, "valid", "palm-540b");
        var annotator = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(esnli.Manifest));
        IDataView annotated = annotator.Fit(pool).Transform(pool);   // + Rationale, TeacherLabel, AnnotationStatus

        // 2. The student learns "predict: x" -> label and "explain: x" -> rationale at once.
        string[] labels = ["entailment", "neutral", "contradiction"];
        var options = new MultiTaskSeq2SeqTrainer.Options
        {
            Mode = TrainingMode.StepByStep, LabelSource = LabelSource.Teacher, Alpha = 0.5f, Labels = labels,
            Student = "tiny",   // a preset trained from scratch, or a Hugging Face T5 checkpoint folder
            MaxSteps = 30, BatchSize = 8, LearningRate = 1e-3, MaxInputLength = 64, MaxTargetLength = 32,
        };
        var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(ml.StepDistill().ToStudentInputs(annotated, esnli.Schema));

        // 3. ML.NET's metrics: Score holds one probability per label, PredictedLabel is a key.
        IDataView testInputs = ml.StepDistill().ToStudentInputs(test, esnli.Schema);
        IDataView keyed = ml.StepDistill().MapLabelToKey(labels, "LabelKey", "Label").Fit(testInputs).Transform(testInputs);
        var metrics = ml.MulticlassClassification.Evaluate(student.Transform(keyed), labelColumnName: "LabelKey");
        Console.WriteLine($"accuracy {metrics.MicroAccuracy:F3}, log-loss {metrics.LogLoss:F3}");

        // 4. Save, load and serve: the student's weights travel inside the model zip.
        var zip = Path.Combine(Path.GetTempPath(), "esnli-student.zip");
        ml.StepDistill().SaveModel(student, testInputs.Schema, zip);
        var loaded = ml.StepDistill().LoadModel(zip, out _);
        var engine = ml.Model.CreatePredictionEngine<NliInput, NliPrediction>(loaded);
        var served = engine.Predict(new NliInput { Input = "A man sleeps on a bench.</s>A person is resting." });
        Console.WriteLine($"{served.PredictedText}: {string.Join(", ", served.Score.Select(s => s.ToString("F2")))}");
        // README:end
        student.Dispose();
        return (metrics, served);
    }
}

/// <summary>What the served model reads (the README's example).</summary>
public sealed class NliInput
{
    /// <summary>The paper's NLI input: premise, the tokenizer's EOS text, hypothesis.</summary>
    public string Input { get; set; } = "";
}

/// <summary>What the served model answers (the README's example).</summary>
public sealed class NliPrediction
{
    /// <summary>The predicted label's text.</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>One probability per label, in the order of <c>Options.Labels</c>.</summary>
    public float[] Score { get; set; } = [];
}
