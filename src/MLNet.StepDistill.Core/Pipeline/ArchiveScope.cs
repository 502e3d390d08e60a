using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// Marks the calls of <c>mlContext.Model.Save/Load</c> that <see cref="ModelArchive"/> makes: only inside them does an
/// archived component agree to be saved (its state is added to the zip afterwards) or loaded (its placeholder is replaced
/// by the component read from the zip).
/// </summary>
internal static class ArchiveScope
{
    public const string PlaceholderContract = "MLNet.StepDistill.Archived.v2";

    public const string LoadHint =
        "This model zip holds MLNet.StepDistill components (a student, an input format) whose state is stored next to ML.NET's " +
        "entries; load it with mlContext.StepDistill().LoadModel(path, out schema), not mlContext.Model.Load.";

    public const string SaveHint =
        "A model with MLNet.StepDistill components (a student, an input format) must be saved with " +
        "mlContext.StepDistill().SaveModel(model, schema, path), which adds their state to the zip; mlContext.Model.Save alone " +
        "would write a model that cannot be loaded.";

    private static readonly AsyncLocal<List<IArchivedComponent>?> Saving = new();
    private static readonly AsyncLocal<bool> Loading = new();

    /// <summary>The components saved so far inside <see cref="BeginSave"/>, in ML.NET's save order.</summary>
    public static List<IArchivedComponent>? Saved => Saving.Value;

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

    /// <summary>
    /// Saves <paramref name="component"/>'s placeholder into ML.NET's entries and records the component, so that
    /// <see cref="ModelArchive"/> adds its state; throws <see cref="SaveHint"/> outside <see cref="ModelArchive.Save"/>.
    /// </summary>
    public static void SavePlaceholder(MLContext mlContext, IArchivedComponent component, ModelSaveContext ctx)
    {
        var saved = Saved ?? throw new InvalidOperationException(SaveHint);
        saved.Add(component);
        ITransformer placeholder = mlContext.Transforms.CustomMapping<ArchivedPlaceholderRow, ArchivedPlaceholderRow>((_, _) => { }, PlaceholderContract)
            .Fit(mlContext.Data.LoadFromEnumerable(Array.Empty<ArchivedPlaceholderRow>()));
        placeholder.Save(ctx);
    }

    /// <summary>The mapping a loaded placeholder gets; <see cref="ModelArchive.Load"/> replaces it before anyone can call it.</summary>
    public static Action<ArchivedPlaceholderRow, ArchivedPlaceholderRow> Placeholder()
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
