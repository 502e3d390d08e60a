using Microsoft.ML;

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
            return new OnnxStudentTransformer(MLContext, student, student.Facts.GenerateRationale && student.CanExplain, ownsStudent: true, ownedFolder: null);
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }

    /// <summary>Saves a pipeline holding ONNX students as an ML.NET zip, with each student's graphs as extra entries.</summary>
    public void SaveModel(ITransformer model, DataViewSchema inputSchema, string path) => OnnxStudentArchive.Save(MLContext, model, inputSchema, path);

    /// <summary>Loads a zip written by <see cref="SaveModel"/>, the ONNX students put back in place.</summary>
    public ITransformer LoadModel(string path, out DataViewSchema inputSchema, OnnxRuntimeOptions? options = null) =>
        OnnxStudentArchive.Load(MLContext, path, options, out inputSchema);
}

/// <summary>Adds <c>mlContext.StepDistillOnnx()</c>.</summary>
public static class StepDistillOnnxMLContextExtensions
{
    /// <summary>Serving exported (ONNX) students on this context.</summary>
    public static StepDistillOnnxCatalog StepDistillOnnx(this MLContext mlContext) => new(mlContext);
}
