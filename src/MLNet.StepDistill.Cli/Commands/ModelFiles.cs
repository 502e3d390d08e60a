using Microsoft.ML;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Serving;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Model zips read and written by the commands, with file problems reported as the user's, not as crashes.</summary>
internal static class ModelFiles
{
    /// <summary>Fails before any work is done when <paramref name="path"/>'s folder does not exist.</summary>
    public static void CheckOutputFolder(string command, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            throw new UserFacingException($"{command}: --out {path}: the folder {folder} does not exist");
        }
    }

    public static void Save(string command, MLContext ml, ITransformer model, DataViewSchema schema, string path)
    {
        CheckOutputFolder(command, path);
        try
        {
            ml.StepDistill().SaveModel(model, schema, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"{command}: --out {path}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Loads <paramref name="path"/> as Serving loads it: a folder is an ONNX export, a file a model zip (a TorchSharp
    /// student, or ONNX students saved in a zip), with its input format when it has one. File problems name
    /// <c>--model</c>.
    /// </summary>
    public static StepDistillServedModel LoadServed(string command, string path)
    {
        try
        {
            // ONNX Runtime chooses its own threads here, as the commands always let it (Serving defaults to one per request).
            return StepDistillServedModel.Load(path, new StepDistillPredictorOptions { ModelPath = path, OnnxRuntime = new OnnxRuntimeOptions() });
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"{command}: --model {path}: {ex.Message}", ex);
        }
    }
}
