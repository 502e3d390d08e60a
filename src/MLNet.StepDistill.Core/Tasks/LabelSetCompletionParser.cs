namespace MLNet.StepDistill.Tasks;

/// <summary>
/// NLI's and classification's answer: after the answer statement (ANLI: <c>"So the answer is contradiction."</c>;
/// e-SNLI: <c>"Answer: neutral"</c>; a chat model: <c>"**Answer:** spam"</c>) the answer text, cut before a clause that
/// explains it and without its trailing full stop, must start with one of the labels (case-insensitive; the longest
/// wins, and it must end at a word boundary), which becomes the label in the set's spelling. A text that names a second
/// label (<c>neutral or contradiction</c>) names two answers; anything else is a parse failure.
/// </summary>
/// <param name="markers">Where the answer is (nli default <c>"So the answer is"</c> cut at <c>"Premise:"</c>).</param>
/// <param name="labels">The closed label set, or null to accept any non-empty answer.</param>
public sealed class LabelSetCompletionParser(CompletionMarkers markers, IReadOnlyList<string>? labels) : CompletionParser(markers)
{
    /// <summary>The closed label set, or null.</summary>
    public IReadOnlyList<string>? Labels { get; } = labels;

    /// <inheritdoc />
    protected override AnswerReading ReadAnswer(string answer, TaskExample example)
    {
        var line = TrimFullStop(CutExplanation(answer));
        if (line.Length == 0)
        {
            return AnswerReading.Failed(ParseFailure.NoLabel, $"nothing after \"{Markers.AnswerMarker}\"");
        }

        if (Labels is null)
        {
            return AnswerReading.Of(line);
        }

        var normalized = AnswerComparer.Normalize(line.TrimStart('(', '[').Replace("either ", "", StringComparison.OrdinalIgnoreCase));
        var label = Labels
            .Where(l => StartsWithWord(normalized, AnswerComparer.Normalize(l)))
            .OrderByDescending(l => l.Length)
            .FirstOrDefault();
        if (label is null)
        {
            return AnswerReading.Failed(ParseFailure.InvalidLabel, $"answer \"{line}\" is not one of the labels ({string.Join(", ", Labels)})");
        }

        var others = Labels.Where(l => !ReferenceEquals(l, label) && !AnswerComparer.Normalize(label).Contains(AnswerComparer.Normalize(l), StringComparison.Ordinal)
            && ContainsWord(normalized[AnswerComparer.Normalize(label).Length..], AnswerComparer.Normalize(l))).ToArray();
        return others.Length > 0
            ? AnswerReading.Failed(ParseFailure.TwoAnswers, $"answer \"{line}\" names two answers ({label}, {others[0]})")
            : AnswerReading.Of(label);
    }

    private static bool StartsWithWord(string text, string word) =>
        text.StartsWith(word, StringComparison.Ordinal) && (text.Length == word.Length || !char.IsLetterOrDigit(text[word.Length]));

    private static bool ContainsWord(string text, string word)
    {
        for (var at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + 1, StringComparison.Ordinal))
        {
            var end = at + word.Length;
            if ((at == 0 || !char.IsLetterOrDigit(text[at - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end])))
            {
                return true;
            }
        }

        return false;
    }
}
