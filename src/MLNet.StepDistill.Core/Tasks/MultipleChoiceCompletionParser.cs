using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// CommonsenseQA's answer: after the answer statement (<c>"So the answer is (c) wooded area."</c>) the choice text after
/// <c>"(x)"</c>, trailing full stop removed. Refinements over the paper's parser: only the statement's line is read;
/// the label must be one of the row's choices, and when the text is not, the letter names the choice (with
/// <see cref="MapLetterToChoice"/>); a bare letter (<c>Final answer: C</c>) names its choice; a line that names two
/// different choices (<c>either (c) forest or (e) rural area</c>) names two answers. A label that is none of the
/// choices is a parse failure.
/// </summary>
/// <param name="markers">Where the answer is; the family default is <c>"So the answer is"</c> cut at <c>"Q:"</c>.</param>
public sealed partial class MultipleChoiceCompletionParser(CompletionMarkers markers) : CompletionParser(markers)
{
    /// <summary>A parser with the paper's markers.</summary>
    public MultipleChoiceCompletionParser()
        : this(TaskFamily.MultipleChoiceQa.DefaultMarkers)
    {
    }

    /// <summary>When the text after <c>"(x)"</c> is not one of the choices, take the choice the letter names (default true).</summary>
    public bool MapLetterToChoice { get; init; } = true;

    /// <inheritdoc />
    protected override AnswerReading ReadAnswer(string answer, TaskExample example)
    {
        var line = answer.Trim();
        var letters = LetterPattern().Matches(line).Select(m => char.ToLowerInvariant(m.Groups[1].Value[0])).Distinct().ToArray();
        if (letters.Length > 1)
        {
            return AnswerReading.Failed(ParseFailure.TwoAnswers, $"answer \"{line}\" names two answers ({string.Join(", ", letters.Select(l => $"({l})"))})");
        }

        var letterMatch = LetterPattern().Match(line);
        var text = TrimFullStop(letterMatch.Success ? line[(letterMatch.Index + letterMatch.Length)..].Trim() : line);
        var bareLetter = !letterMatch.Success && BareLetter().Match(text) is { Success: true } bare ? char.ToLowerInvariant(bare.Groups[1].Value[0]) : (char?)null;
        if (text.Length == 0 && !letterMatch.Success)
        {
            return AnswerReading.Failed(ParseFailure.NoLabel, $"nothing after \"{Markers.AnswerMarker}\"");
        }

        var choices = example.Choices;
        if (choices.Count == 0)
        {
            return text.Length > 0 ? AnswerReading.Of(text) : AnswerReading.Failed(ParseFailure.NoLabel, "no answer text after the choice letter");
        }

        var normalized = AnswerComparer.Normalize(text);
        var byText = choices.FirstOrDefault(c => AnswerComparer.Normalize(c) == normalized)
            ?? choices.FirstOrDefault(c => AnswerComparer.Normalize(c) == AnswerComparer.Normalize(TrimFullStop(CutExplanation(text))));
        if (byText is not null)
        {
            return AnswerReading.Of(byText);
        }

        var letter = letterMatch.Success ? char.ToLowerInvariant(letterMatch.Groups[1].Value[0]) : bareLetter;
        if (letter is { } l && (MapLetterToChoice || bareLetter is not null))
        {
            var index = l - 'a';
            if (index >= 0 && index < choices.Count)
            {
                return AnswerReading.Of(choices[index]);
            }
        }

        if (!letterMatch.Success)
        {
            var named = choices.Where(c => ContainsPhrase(normalized, AnswerComparer.Normalize(c))).Distinct().ToArray();
            if (named.Length > 1)
            {
                return AnswerReading.Failed(ParseFailure.TwoAnswers, $"answer \"{line}\" names two answers ({named[0]}, {named[1]})");
            }
        }

        return letterMatch.Success
            ? AnswerReading.Failed(ParseFailure.InvalidLabel, $"answer \"{line}\" is not one of the row's choices")
            : AnswerReading.Failed(ParseFailure.NoLabel, $"no \"(x)\" choice and no choice text in \"{line}\"");
    }

    private static bool ContainsPhrase(string text, string phrase) =>
        phrase.Length > 0 && Regex.IsMatch(text, @"(?<![\w])" + Regex.Escape(phrase) + @"(?![\w])");

    [GeneratedRegex(@"\((.)\)")]
    private static partial Regex LetterPattern();

    [GeneratedRegex(@"^\(?([A-Ea-e])\)?$")]
    private static partial Regex BareLetter();
}
