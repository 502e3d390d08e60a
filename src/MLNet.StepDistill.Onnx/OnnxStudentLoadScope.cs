namespace MLNet.StepDistill.Onnx;

/// <summary>
/// Marks the <c>mlContext.Model.Save/Load</c> calls made by <see cref="StepDistillOnnxCatalog"/>: only inside them does an
/// ONNX student agree to be saved (its graphs are added to the zip afterwards) or loaded (its placeholder is replaced).
/// </summary>
internal static class OnnxStudentLoadScope
{
    public const string LoadHint =
        "This model zip holds an MLNet.StepDistill ONNX student whose graphs are stored next to ML.NET's entries; " +
        "load it with mlContext.StepDistillOnnx().LoadModel(path, out schema), not mlContext.Model.Load.";

    public const string SaveHint =
        "An ONNX student must be saved with mlContext.StepDistillOnnx().SaveModel(model, schema, path), which adds its graphs " +
        "to the zip; mlContext.Model.Save alone would write a model that cannot be loaded.";

    private static readonly AsyncLocal<List<OnnxStudentTransformer>?> Saving = new();
    private static readonly AsyncLocal<bool> Loading = new();

    public static List<OnnxStudentTransformer>? SavedStudents => Saving.Value;

    public static IDisposable BeginSave()
    {
        Saving.Value = [];
        return new Reset(() => Saving.Value = null);
    }

    public static IDisposable BeginLoad()
    {
        Loading.Value = true;
        return new Reset(() => Loading.Value = false);
    }

    public static Action<TSrc, TDst> Placeholder<TSrc, TDst>()
    {
        if (!Loading.Value)
        {
            throw new InvalidOperationException(LoadHint);
        }

        return (_, _) => throw new InvalidOperationException(LoadHint);
    }

    private sealed class Reset(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
