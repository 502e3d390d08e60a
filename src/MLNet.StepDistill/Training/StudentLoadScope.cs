namespace MLNet.StepDistill.Training;

/// <summary>
/// Marks the calls of <c>mlContext.Model.Save/Load</c> that StepDistill's own SaveModel/LoadModel make: only inside them
/// does a student agree to be saved (its weights are added to the zip afterwards) or loaded (its placeholder mapping is
/// replaced by the student read from the zip).
/// </summary>
internal static class StudentLoadScope
{
    public const string LoadHint =
        "This model zip holds a MLNet.StepDistill student whose weights are stored next to ML.NET's entries; " +
        "load it with mlContext.StepDistill().LoadModel(path, out schema), not mlContext.Model.Load.";

    public const string SaveHint =
        "A MLNet.StepDistill student must be saved with mlContext.StepDistill().SaveModel(model, schema, path), which adds the " +
        "student's weights to the zip; mlContext.Model.Save alone would write a model that cannot be loaded.";

    private static readonly AsyncLocal<List<Seq2SeqStudentTransformer>?> Saving = new();
    private static readonly AsyncLocal<bool> Loading = new();

    /// <summary>The students saved so far inside <see cref="BeginSave"/>, in ML.NET's save order.</summary>
    public static List<Seq2SeqStudentTransformer>? SavedStudents => Saving.Value;

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

    /// <summary>The mapping a loaded placeholder gets; LoadModel replaces the placeholder before anyone can call it.</summary>
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
