namespace MLNet.StepDistill.Deployment;

/// <summary>The single-task ablation's output format: <c>"rationale So the answer is label"</c>, joined for training and split at inference.</summary>
public static class SingleTaskFormat
{
    /// <summary>What joins rationale and label.</summary>
    public const string AnswerMarker = " So the answer is ";

    /// <summary>The single-task target: the rationale (trailing white space dropped), the marker, the answer.</summary>
    public static string Join(string rationale, string answer, string marker = AnswerMarker) => rationale.TrimEnd() + marker + answer;

    /// <summary>
    /// Splits a single-task output at the marker (case-insensitive, trimmed): (rationale, answer without a final full
    /// stop); the whole text is the answer when the marker is missing.
    /// </summary>
    public static (string Rationale, string Answer) Split(string generated, string marker = AnswerMarker)
    {
        var trimmed = marker.Trim();
        var at = generated.IndexOf(trimmed, StringComparison.OrdinalIgnoreCase);
        return at < 0
            ? ("", generated.Trim())
            : (generated[..at].Trim(), generated[(at + trimmed.Length)..].Trim().TrimEnd('.').Trim());
    }
}
