using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>The completion parser a dataset's teacher answers need.</summary>
public static class CompletionParsers
{
    /// <summary>The parser for a manifest's family, markers and label set.</summary>
    public static ICompletionParser For(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return For(manifest.Schema, manifest.Completion);
    }

    /// <summary>
    /// The parser for a family: <see cref="MultipleChoiceCompletionParser"/>, <see cref="MathCompletionParser"/>, or
    /// <see cref="LabelSetCompletionParser"/> (nli, classification) with the schema's labels.
    /// </summary>
    /// <param name="schema">The task schema.</param>
    /// <param name="markers">The markers; null for the family's default (<see cref="CompletionMarkers.DefaultFor"/>).</param>
    public static ICompletionParser For(TaskSchema schema, CompletionMarkers? markers = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        markers ??= CompletionMarkers.DefaultFor(schema.Family);
        return schema.Family switch
        {
            TaskFamily.MultipleChoiceQa => new MultipleChoiceCompletionParser(markers),
            TaskFamily.Math => new MathCompletionParser(markers),
            TaskFamily.Nli or TaskFamily.Classification => new LabelSetCompletionParser(markers, schema.Labels),
            _ => throw new ArgumentOutOfRangeException(nameof(schema), schema.Family, "unknown task family"),
        };
    }
}
