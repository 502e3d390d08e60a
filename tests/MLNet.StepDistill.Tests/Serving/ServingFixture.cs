using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Pipeline;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Tests.Serving;

/// <summary>
/// One tiny e-SNLI student for the serving tests, trained a few steps step by step (so it explains too): saved as the CLI
/// saves it (the input format in front, raw rows in) and exported to ONNX; and the e-SNLI test rows to serve.
/// </summary>
public sealed class ServingFixture : IDisposable
{
    private readonly TempFolder folder = new();

    public ServingFixture()
    {
        var ml = new MLContext(seed: 21);
        Dataset = TrainingFixtures.Dataset("esnli");
        var raw = ml.Data.TakeRows(Dataset.LoadSplit(ml, "valid"), 32);
        var teacher = RecordedTeacher.Open(Dataset.Manifest, "valid", "palm-540b");
        var annotated = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(Dataset.Manifest)).Fit(raw).Transform(raw);
        var options = EndToEndPipelineTests.SmallOptions();
        options.MaxSteps = 4;
        options.Method = TrainingMethod.StepByStepGold;
        options.LabelColumnName = "label";
        options.Labels = [.. Dataset.Schema.Labels!];
        options.PredictionBatchSize = 16;
        var model = ml.StepDistill().Transforms.FormatStudentInput(Dataset.Schema)
            .Append(ml.StepDistill().Trainers.MultiTaskSeq2Seq(options))
            .Fit(annotated);
        using var student = model.LastTransformer;
        ClassNames = student.ClassNames;
        ModelZip = folder.File("esnli-tiny.zip");
        ml.StepDistill().SaveModel(model, raw.Schema, ModelZip);
        OnnxFolder = folder.File("esnli-tiny-onnx");
        student.ExportOnnx(OnnxFolder);
        Rows = [.. Dataset.ReadExamples("test").Take(200).Select(e => new NliRow { Premise = e.Inputs[0], Hypothesis = e.Inputs[1] })];
    }

    public TaskDataset Dataset { get; }

    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The saved pipeline (FormatStudentInput, then the TorchSharp student).</summary>
    public string ModelZip { get; }

    /// <summary>The student exported by ExportOnnx (the student alone: formatted input).</summary>
    public string OnnxFolder { get; }

    /// <summary>200 e-SNLI test rows, raw fields.</summary>
    public NliRow[] Rows { get; }

    public void Dispose() => folder.Dispose();
}
