using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The paper's first step for every family: cut the completion at <see cref="CompletionMarkers.CutAt"/> (the invented
/// next exemplar), then split at the first <see cref="CompletionMarkers.AnswerMarker"/>: rationale before, answer after.
/// </summary>
internal static class CompletionSections
{
    /// <summary>Splits; returns a failure when the completion is empty or holds no answer marker.</summary>
    public static bool TrySplit(string? completion, CompletionMarkers markers, out string rationale, out string answer, out ParsedCompletion? failure)
    {
        rationale = "";
        answer = "";
        failure = null;
        if (string.IsNullOrWhiteSpace(completion))
        {
            failure = ParsedCompletion.Failed(ParseFailure.EmptyCompletion, "empty completion");
            return false;
        }

        var text = completion;
        if (markers.CutAt is { } cut)
        {
            var at = text.IndexOf(cut, StringComparison.Ordinal);
            if (at >= 0)
            {
                text = text[..at];
            }
        }

        var marker = text.IndexOf(markers.AnswerMarker, StringComparison.Ordinal);
        if (marker < 0)
        {
            failure = ParsedCompletion.Failed(ParseFailure.NoAnswerMarker, $"no \"{markers.AnswerMarker}\" in the completion" + (markers.CutAt is null ? "" : $" before \"{markers.CutAt}\""), text.Trim());
            return false;
        }

        rationale = text[..marker].Trim();
        answer = text[(marker + markers.AnswerMarker.Length)..];
        return true;
    }

    /// <summary>The answer's first non-empty line, trimmed.</summary>
    public static string FirstLine(string answer)
    {
        foreach (var line in answer.Split('\n'))
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                return line.Trim();
            }
        }

        return "";
    }

    /// <summary>Removes trailing full stops and white space.</summary>
    public static string TrimFullStop(string text) => text.TrimEnd().TrimEnd('.').TrimEnd();
}
