using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// How every family reads a teacher's completion, whatever the teacher: the paper's few-shot completions and the way chat
/// models answer. Finding the answer is common to all families; reading the answer text as a label, a choice or an
/// expression is the family's (<see cref="ReadAnswer"/>).
/// </summary>
/// <remarks>
/// In order:
/// <list type="number">
/// <item>A JSON object (the whole completion, or a fenced <c>```json</c> block) with a <c>label</c> or <c>answer</c> and a
/// <c>rationale</c> (or <c>reasoning</c>, <c>explanation</c>): what <c>--response-format json</c> asks for.</item>
/// <item>The completion is cut at <see cref="CompletionMarkers.CutAt"/> (an invented next exemplar), and the answer
/// statement is found: the first <see cref="CompletionMarkers.AnswerMarker"/> (the paper's rule, case-sensitive), else
/// the last of the usual phrasings, in any case and with markdown emphasis: the marker in another case,
/// <c>So the answer is: X</c>, <c>The final answer is X</c>, <c>**Answer:** X</c>, <c>Final answer: X</c>,
/// <c>Label: X</c> (also first, followed by <c>Reasoning: ...</c>), <c>Prediction:</c>, <c>Category:</c>, a
/// <c>### Answer</c> heading with the answer on the next line.</item>
/// <item>The answer is the statement's line (quotes, emphasis and a leading colon removed; the families cut it at a
/// clause that explains it, <c>, because ...</c>); the rationale is the text before the statement, or, for a completion that
/// states its answer first, the text after it (a <c>Reasoning:</c> label removed).</item>
/// <item>A one-line completion that begins with its answer and has no statement (<c>B</c>, <c>(c) forest</c>) is read as that answer.</item>
/// </list>
/// An answer that names two different labels or choices (<c>either (c) forest or (e) rural area</c>) is a
/// <see cref="ParseFailure.TwoAnswers"/> failure, never the first one. A label with no rationale is
/// <see cref="ParseStatus.LabelOnly"/>. Never throws on a malformed completion.
/// </remarks>
/// <param name="markers">The paper's markers for the family (or the dataset's own).</param>
public abstract partial class CompletionParser(CompletionMarkers markers) : ICompletionParser
{
    /// <summary>The markers in force.</summary>
    public CompletionMarkers Markers { get; } = markers ?? throw new ArgumentNullException(nameof(markers));

    /// <summary>The answer statements other than the first <see cref="CompletionMarkers.AnswerMarker"/>, built once per parser.</summary>
    private readonly Regex statements = StatementPattern(markers.AnswerMarker);

    /// <inheritdoc />
    public ParsedCompletion Parse(string? completion, TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (string.IsNullOrWhiteSpace(completion))
        {
            return ParsedCompletion.Failed(ParseFailure.EmptyCompletion, "empty completion");
        }

        if (TryReadJson(completion, out var jsonAnswer, out var jsonRationale))
        {
            return Finish(jsonRationale, jsonAnswer, example);
        }

        var text = completion;
        if (Markers.CutAt is { } cut && text.IndexOf(cut, StringComparison.Ordinal) is var at and > 0)
        {
            text = text[..at];
        }

        if (!TryFindStatement(text, out var before, out var answerLine, out var after))
        {
            var whole = text.Trim();
            var unwrapped = Unwrap(whole);
            if (!whole.Contains('\n') && whole.Length <= 80 && ReadAnswer(unwrapped, example) is { Label: not null } bare
                && (unwrapped.StartsWith('(') || AnswerComparer.Normalize(unwrapped).StartsWith(AnswerComparer.Normalize(bare.Label), StringComparison.Ordinal)))
            {
                return ParsedCompletion.LabelOnly(bare.Label);
            }

            return ParsedCompletion.Failed(ParseFailure.NoAnswerMarker, $"no \"{Markers.AnswerMarker}\" (nor another answer statement such as \"Answer: ...\") in the completion" + (Markers.CutAt is null ? "" : $" before \"{Markers.CutAt}\""), whole);
        }

        var rationale = JoinRationale(before, after);
        var answer = Unwrap(answerLine);
        if (answer.Length == 0)
        {
            return ParsedCompletion.Failed(ParseFailure.NoLabel, $"nothing after \"{Markers.AnswerMarker}\"", rationale);
        }

        return Finish(rationale, answer, example);
    }

    /// <summary>
    /// Reads the answer text (the rest of the answer statement's line, unwrapped) as the family's answer: a label of
    /// the set, one of the row's choices, an expression. Return <see cref="AnswerReading.Failed"/> with
    /// <see cref="ParseFailure.TwoAnswers"/> when the text names two different answers.
    /// </summary>
    /// <param name="answer">The answer text, e.g. <c>(c) wooded area.</c> or <c>neutral</c>.</param>
    /// <param name="example">The row (its choices).</param>
    protected abstract AnswerReading ReadAnswer(string answer, TaskExample example);

    /// <summary>The answer text cut before a clause that explains it: <c>neutral, because ...</c> -&gt; <c>neutral</c>.</summary>
    protected static string CutExplanation(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var match = ExplanationStart().Match(answer);
        return (match.Success ? answer[..match.Index] : answer).Trim();
    }

    /// <summary>Removes trailing full stops and white space.</summary>
    protected static string TrimFullStop(string text) => text.TrimEnd().TrimEnd('.', '!').TrimEnd();

    private ParsedCompletion Finish(string rationale, string answer, TaskExample example)
    {
        var reading = ReadAnswer(answer, example);
        if (reading.Label is null)
        {
            return ParsedCompletion.Failed(reading.Failure, reading.Reason!, rationale);
        }

        return rationale.Length == 0 ? ParsedCompletion.LabelOnly(reading.Label) : ParsedCompletion.Ok(rationale, reading.Label);
    }

    private bool TryFindStatement(string text, out string before, out string answerLine, out string after)
    {
        var position = text.IndexOf(Markers.AnswerMarker, StringComparison.Ordinal);
        var length = Markers.AnswerMarker.Length;
        if (position < 0)
        {
            Match? last = null;
            foreach (Match match in statements.Matches(text))
            {
                last = match;
            }

            if (last is null)
            {
                before = answerLine = after = "";
                return false;
            }

            position = last.Index;
            length = last.Length;
        }

        before = text[..position];
        var rest = text[(position + length)..];
        // The answer is the rest of the statement's line; a statement that ends its line has the answer on the next one.
        var newline = rest.IndexOf('\n');
        while (newline >= 0 && rest[..newline].Trim().Trim('*', '_', ':').Trim().Length == 0)
        {
            rest = rest[(newline + 1)..];
            newline = rest.IndexOf('\n');
        }

        answerLine = newline < 0 ? rest : rest[..newline];
        after = newline < 0 ? "" : rest[(newline + 1)..];
        return true;
    }

    /// <summary>The reasoning before the answer statement; for a completion that states its answer first (<c>Label: X</c>), the text after it.</summary>
    private static string JoinRationale(string before, string after)
    {
        var head = TrailingLead().Replace(before.TrimEnd(), "").Trim();
        head = head.TrimEnd('*', '#', '-', ' ', '\n', '\r', '\t').Trim();
        return head.Length > 0 ? head : RationaleLabel().Replace(after.Trim(), "").Trim();
    }

    /// <summary>The answer text without markdown emphasis, quotes, a leading colon or dash, and surrounding white space.</summary>
    private static string Unwrap(string answer)
    {
        var text = answer.Trim();
        string previous;
        do
        {
            previous = text;
            text = text.Trim().TrimStart(':', '-', '=', '>').Trim();
            text = text.Trim('*', '_', '`', '"', '\'', '“', '”', '‘', '’', '[', ']').Trim();
            if (text.StartsWith("\\boxed{", StringComparison.Ordinal) && text.EndsWith('}'))
            {
                text = text[7..^1];
            }
        }
        while (text != previous);
        return text;
    }

    private static bool TryReadJson(string completion, out string answer, out string rationale)
    {
        answer = rationale = "";
        var text = completion.Trim();
        var fenced = FencedJson().Match(text);
        if (fenced.Success)
        {
            text = fenced.Groups[1].Value.Trim();
        }

        if (!text.StartsWith('{') || !text.EndsWith('}'))
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            string? Field(params string[] names)
            {
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (names.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        return property.Value.ValueKind switch
                        {
                            JsonValueKind.String => property.Value.GetString(),
                            JsonValueKind.Number => property.Value.GetRawText(),
                            _ => null,
                        };
                    }
                }

                return null;
            }

            var found = Field("label", "answer", "final_answer", "finalAnswer", "choice", "equation");
            if (found is null)
            {
                return false;
            }

            answer = found.Trim();
            rationale = (Field("rationale", "reasoning", "explanation", "reason", "thoughts") ?? "").Trim();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Regex StatementPattern(string marker) =>
        new(@"(?<![\w])(?:\*\*|__)?(?:" + Regex.Escape(marker.Trim().TrimEnd(':')) + @"(?:\s*:)?"
            + @"|(?:so|thus|therefore|hence)?,?\s*the\s+(?:final\s+|correct\s+|best\s+)?(?:answer|label)\s+(?:is|would\s+be)(?:\s*:)?"
            + @"|(?:final\s+answer|answer|label|prediction|category|classification)\s*(?:\*\*|__)?\s*:"
            + @"|^\#{1,6}\s*(?:final\s+)?(?:answer|label)[ \t]*$)(?:\*\*|__)?",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline);

    [GeneratedRegex(@"^```(?:json|JSON)?\s*\n(.*?)\n\s*```$", RegexOptions.Singleline)]
    private static partial Regex FencedJson();

    [GeneratedRegex(@"(?:,|;|\s+-\s+|\s+–\s+|\.\s|\s+(?:because|since|as|given|due\s+to|which|given\s+that)\s)", RegexOptions.IgnoreCase)]
    private static partial Regex ExplanationStart();

    [GeneratedRegex(@"^(?:\*\*|__)?(?:reasoning|rationale|explanation|reason|because)(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*", RegexOptions.IgnoreCase)]
    private static partial Regex RationaleLabel();

    [GeneratedRegex(@"(?:\*\*|__|#+)\s*$")]
    private static partial Regex TrailingLead();
}

/// <summary>What a family read from an answer text: the answer, or why there is none.</summary>
/// <param name="Label">The answer in its canonical spelling (the label set's, the choice's text, the expression); null when none.</param>
/// <param name="Failure">Why there is none; <see cref="ParseFailure.None"/> when there is.</param>
/// <param name="Reason">Why there is none, in words quoting the text; null when there is.</param>
public sealed record AnswerReading(string? Label, ParseFailure Failure, string? Reason)
{
    /// <summary>An answer.</summary>
    public static AnswerReading Of(string label) => new(label ?? throw new ArgumentNullException(nameof(label)), ParseFailure.None, null);

    /// <summary>No answer, with the kind and reason.</summary>
    public static AnswerReading Failed(ParseFailure failure, string reason) =>
        failure == ParseFailure.None ? throw new ArgumentException("a failed reading needs a failure kind", nameof(failure)) : new(null, failure, reason);
}
