using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// NLI's and classification's rule: after the cut and the answer marker (ANLI: <c>"So the answer is contradiction."</c>;
/// e-SNLI: <c>"Answer: neutral"</c>) the label is the answer's first line, trailing full stop removed. With a closed
/// label set it must start with one of the labels (case-insensitive; the longest wins, and it must end at a word
/// boundary), which becomes the label in the set's spelling; anything else is a parse failure.
/// </summary>
/// <param name="markers">Where the answer is (nli default <c>"So the answer is"</c> cut at <c>"Premise:"</c>).</param>
/// <param name="labels">The closed label set, or null to accept any non-empty answer line.</param>
public sealed class LabelSetCompletionParser(CompletionMarkers markers, IReadOnlyList<string>? labels) : ICompletionParser
{
    /// <summary>The closed label set, or null.</summary>
    public IReadOnlyList<string>? Labels { get; } = labels;

    /// <inheritdoc />
    public ParsedCompletion Parse(string? completion, TaskExample example)
    {
        if (!CompletionSections.TrySplit(completion, markers, out var rationale, out var answer, out var failure))
        {
            return failure!;
        }

        var line = CompletionSections.TrimFullStop(CompletionSections.FirstLine(answer));
        if (line.Length == 0)
        {
            return ParsedCompletion.Failed(ParseFailure.NoLabel, $"nothing after \"{markers.AnswerMarker}\"", rationale);
        }

        var label = line;
        if (Labels is not null)
        {
            var normalized = AnswerComparer.Normalize(line);
            label = Labels
                .Where(l => StartsWithWord(normalized, AnswerComparer.Normalize(l)))
                .OrderByDescending(l => l.Length)
                .FirstOrDefault()!;
            if (label is null)
            {
                return ParsedCompletion.Failed(ParseFailure.InvalidLabel, $"answer \"{line}\" is not one of the labels ({string.Join(", ", Labels)})", rationale);
            }
        }

        return ParsedCompletion.OkIfRationale(rationale, label);
    }

    private static bool StartsWithWord(string text, string word) =>
        text.StartsWith(word, StringComparison.Ordinal) && (text.Length == word.Length || !char.IsLetterOrDigit(text[word.Length]));
}
