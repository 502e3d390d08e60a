using Microsoft.ML;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Onnx;

/// <summary>Serving exported students in ML.NET: <c>mlContext.StepDistillOnnx()</c>.</summary>
public sealed class StepDistillOnnxCatalog
{
    internal StepDistillOnnxCatalog(MLContext mlContext) => MLContext = mlContext;

    /// <summary>The context.</summary>
    public MLContext MLContext { get; }

    /// <summary>
    /// Loads a folder written by <c>ExportOnnx</c> / <c>stepdistill export-onnx</c> as an ML.NET transformer that adds
    /// <c>Score</c>, <c>PredictedLabel</c>, <c>PredictedText</c> and <c>PredictedRationale</c> (as the TorchSharp student does).
    /// </summary>
    /// <param name="folder">The exported folder.</param>
    /// <param name="options">Threads and execution provider; default CPU, ONNX Runtime's thread count.</param>
    /// <exception cref="FileNotFoundException">The folder or one of its files is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest, tokenizer or a graph is broken (the message names the file).</exception>
    public OnnxStudentTransformer LoadStudent(string folder, OnnxRuntimeOptions? options = null)
    {
        var student = OnnxStudent.Load(folder, options);
        try
        {
            return new OnnxStudentTransformer(MLContext, student, student.Spec.GenerateRationale && student.CanExplain, ownsStudent: true, ownedFolder: null);
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The paper's input formatting as a pipeline step (the same estimator the TorchSharp package offers), so a saved ONNX
    /// pipeline takes the dataset's raw rows.
    /// </summary>
    public FormatStudentInputEstimator FormatStudentInput(TaskSchema schema, string outputColumnName = "Input", string choicesColumnName = "Choices", string endOfSequence = NliFormat.T5EndOfSequence) =>
        new(MLContext, schema, outputColumnName, choicesColumnName, endOfSequence);

    /// <summary>Saves a pipeline holding ONNX students (and input formats) as an ML.NET zip, with each student's graphs as extra entries.</summary>
    public void SaveModel(ITransformer model, DataViewSchema inputSchema, string path) => ModelArchive.Save(MLContext, model, inputSchema, path);

    /// <summary>Loads a zip written by <see cref="SaveModel"/>: the ONNX students and input formats put back in place; the returned model owns the students.</summary>
    public StepDistillModel LoadModel(string path, out DataViewSchema inputSchema, OnnxRuntimeOptions? options = null) =>
        ModelArchive.Load(MLContext, path, new Dictionary<string, ArchivedComponentLoader>
        {
            [StudentInputFormatter.Kind] = StudentInputFormatter.Load,
            [OnnxStudentTransformer.Kind] = (folder, ml) => OnnxStudentTransformer.Load(folder, ml, options),
        }, out inputSchema);
}

/// <summary>Adds <c>mlContext.StepDistillOnnx()</c>.</summary>
public static class StepDistillOnnxMLContextExtensions
{
    /// <summary>Serving exported (ONNX) students on this context.</summary>
    public static StepDistillOnnxCatalog StepDistillOnnx(this MLContext mlContext) => new(mlContext);
}
