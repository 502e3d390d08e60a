using Microsoft.ML;

namespace MLNet.StepDistill;

/// <summary>
/// MLNet.StepDistill's entry point on an <see cref="MLContext"/>: <c>mlContext.StepDistill()</c>. Holds the rationale
/// annotator (see the Annotation part of this class) and the label-to-key helper evaluation needs.
/// </summary>
public sealed partial class StepDistillCatalog
{
    internal StepDistillCatalog(MLContext mlContext)
    {
        MLContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
    }

    /// <summary>The context this catalog works in.</summary>
    public MLContext MLContext { get; }

    /// <summary>
    /// Maps a text label column to a key whose key values are <paramref name="labels"/> in that order: the same keys as a
    /// student's <c>PredictedLabel</c> trained with <c>Options.Labels = labels</c>, so
    /// <c>mlContext.MulticlassClassification.Evaluate</c> can compare them. Labels outside the set become missing keys.
    /// </summary>
    public IEstimator<ITransformer> MapLabelToKey(IReadOnlyList<string> labels, string outputColumnName = "Label", string? inputColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var keyData = MLContext.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }));
        return MLContext.Transforms.Conversion.MapValueToKey(outputColumnName, inputColumnName ?? outputColumnName, keyData: keyData);
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
