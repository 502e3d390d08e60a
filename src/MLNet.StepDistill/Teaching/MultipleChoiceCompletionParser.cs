using System.Text.RegularExpressions;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// CommonsenseQA's rule: after the cut and the answer marker (<c>"So the answer is (c) wooded area."</c>) the label is
/// the choice text after <c>"(x)"</c>, trailing full stop removed. Two refinements over the paper's parser: only the
/// answer's first line is read, and the label must be one of the row's choices; when the text is not, the letter
/// names the choice (with <see cref="MapLetterToChoice"/>). A label that is none of the choices is a parse failure.
/// </summary>
/// <param name="markers">Where the answer is; the family default is <c>"So the answer is"</c> cut at <c>"Q:"</c>.</param>
public sealed partial class MultipleChoiceCompletionParser(CompletionMarkers markers) : ICompletionParser
{
    /// <summary>A parser with the paper's markers.</summary>
    public MultipleChoiceCompletionParser()
        : this(CompletionMarkers.DefaultFor(TaskFamily.MultipleChoiceQa))
    {
    }

    /// <summary>When the text after <c>"(x)"</c> is not one of the choices, take the choice the letter names (default true).</summary>
    public bool MapLetterToChoice { get; init; } = true;

    /// <inheritdoc />
    public ParsedCompletion Parse(string? completion, TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (!CompletionSections.TrySplit(completion, markers, out var rationale, out var answer, out var failure))
        {
            return failure!;
        }

        var line = CompletionSections.FirstLine(answer);
        var letterMatch = LetterPattern().Match(line);
        var text = CompletionSections.TrimFullStop(letterMatch.Success ? line[(letterMatch.Index + letterMatch.Length)..].Trim() : line);
        if (text.Length == 0 && !letterMatch.Success)
        {
            return ParsedCompletion.Failed(ParseFailure.NoLabel, $"nothing after \"{markers.AnswerMarker}\"", rationale);
        }

        var choices = example.Choices;
        if (choices.Count == 0)
        {
            return text.Length > 0 ? Finish(rationale, text) : ParsedCompletion.Failed(ParseFailure.NoLabel, "no answer text after the choice letter", rationale);
        }

        var normalized = AnswerComparer.Normalize(text);
        var byText = choices.FirstOrDefault(c => AnswerComparer.Normalize(c) == normalized);
        if (byText is not null)
        {
            return Finish(rationale, byText);
        }

        if (MapLetterToChoice && letterMatch.Success)
        {
            var index = char.ToLowerInvariant(letterMatch.Groups[1].Value[0]) - 'a';
            if (index >= 0 && index < choices.Count)
            {
                return Finish(rationale, choices[index]);
            }
        }

        return letterMatch.Success
            ? ParsedCompletion.Failed(ParseFailure.InvalidLabel, $"answer \"{line}\" is not one of the row's choices", rationale)
            : ParsedCompletion.Failed(ParseFailure.NoLabel, $"no \"(x)\" choice and no choice text in \"{line}\"", rationale);
    }

    private static ParsedCompletion Finish(string rationale, string label) => ParsedCompletion.OkIfRationale(rationale, label);

    [GeneratedRegex(@"\((.)\)")]
    private static partial Regex LetterPattern();
}
