namespace MLNet.StepDistill.Teaching;

/// <summary>What the annotator decided for one row.</summary>
/// <param name="Id">The row id.</param>
/// <param name="Rationale">The chosen rationale (empty when there is none).</param>
/// <param name="TeacherLabel">The teacher's (majority) label (empty when there is none).</param>
/// <param name="Status">One of <see cref="AnnotationStatus"/>.</param>
/// <param name="Reason">Why the row is not <c>ok</c> (parse failure, call failure, filter), without secrets; null when ok.</param>
/// <param name="TeacherCorrect">Whether the teacher's label matches the gold label; null without gold or without an answer (call-failed).</param>
/// <param name="Votes">How many samples gave the chosen label (self-consistency); 0 when none parsed.</param>
/// <param name="Samples">How many completions were parsed for the row (0 when its calls failed).</param>
public sealed record RowAnnotation(string Id, string Rationale, string TeacherLabel, string Status, string? Reason, bool? TeacherCorrect, int Votes, int Samples)
{
    /// <summary>
    /// The teacher's first completion, for rows whose completions did not parse (<c>parse-failed</c>), so the reason can
    /// be shown next to it; else null.
    /// </summary>
    public string? UnparsedCompletion { get; init; }

    /// <summary>How the row's rationale was asked for (<see cref="RationaleAnnotatorOptions.Rationales"/>).</summary>
    public RationaleMode Rationales { get; init; }

    /// <summary>Prompt tokens of the row's completions (all samples, cached or not); 0 when its calls failed.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion tokens of the row's completions (all samples, cached or not).</summary>
    public long CompletionTokens { get; init; }

    /// <summary>True when some of the row's token counts are estimates (the teacher reported no usage; see the README's cost section).</summary>
    public bool TokensEstimated { get; init; }

    /// <summary>How many of the row's completions came from the cache (cost nothing in this run).</summary>
    public int CachedSamples { get; init; }

    /// <summary>What this run paid for the row (its completions not from the cache), when prices are set; else <c>null</c>.</summary>
    public double? Cost { get; init; }

    internal long PaidPromptTokens { get; init; }

    internal long PaidCompletionTokens { get; init; }

    internal int PaidBatched { get; init; }

    /// <summary>A completion shortened for a message: quoted, on one line, its first 300 characters.</summary>
    internal static string Shorten(string text)
    {
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 300 ? $"\"{line}\"" : $"\"{line[..300]}...\" ({text.Length} characters)";
    }
}
