using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The text layout of a few-shot chain-of-thought prompt. Each exemplar is written as <see cref="Question"/> followed by
/// <see cref="Answer"/>; the row to annotate is written as <see cref="Question"/> alone, so the prompt ends exactly where
/// the teacher's completion should begin (e.g. after <c>A:</c>) and the reply parses like the recorded completions.
/// </summary>
/// <remarks>
/// Placeholders: in <see cref="Question"/> <c>{input}</c> (all input fields joined by a newline), <c>{input1}</c>,
/// <c>{input2}</c> ... (one field, from 1) and <c>{choices}</c> (one <c>(a) text</c> line per choice); in
/// <see cref="Answer"/> <c>{rationale}</c>, <c>{label}</c> and <c>{letter}</c> (the label's choice letter). Values are
/// substituted in one pass, so text inside a value is never read as a placeholder.
/// </remarks>
public sealed record PromptTemplate
{
    private static readonly Regex Placeholder = new(@"\{(\w+)\}", RegexOptions.CultureInvariant);
    private static readonly Regex InputN = new(@"^input([1-9][0-9]?)$", RegexOptions.CultureInvariant);

    /// <summary>Creates a template and checks its placeholders.</summary>
    /// <param name="question">The question block, e.g. <c>"Q: {input}\nA:"</c>.</param>
    /// <param name="answer">The answer block that follows the question in an exemplar, e.g. <c>" {rationale} The answer is ({label})."</c>.</param>
    /// <exception cref="ArgumentException">A placeholder is unknown, or <c>{rationale}</c> / <c>{label}</c> is missing from the answer.</exception>
    public PromptTemplate(string question, string answer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        ArgumentException.ThrowIfNullOrWhiteSpace(answer);
        CheckPlaceholders(nameof(Question), question, name => name is "input" or "choices" || InputN.IsMatch(name));
        CheckPlaceholders(nameof(Answer), answer, name => name is "rationale" or "label" or "letter");
        if (!answer.Contains("{rationale}", StringComparison.Ordinal) || !answer.Contains("{label}", StringComparison.Ordinal))
        {
            throw new ArgumentException($"PromptTemplate.Answer must hold {{rationale}} and {{label}}; got \"{answer}\".", nameof(answer));
        }
        Question = question;
        Answer = answer;
    }

    /// <summary>The question block; ends where the answer (the teacher's completion) begins.</summary>
    public string Question { get; }

    /// <summary>The answer block of an exemplar, written right after its question.</summary>
    public string Answer { get; }

    /// <summary>An optional system message (e.g. an instruction); <c>null</c> sends the prompt as one user message.</summary>
    public string? System { get; init; }

    /// <summary>Optional text before the first exemplar, in the user message (e.g. the label set).</summary>
    public string? Header { get; init; }

    /// <summary>What separates exemplars from each other and from the question. Default a blank line.</summary>
    public string Separator { get; init; } = "\n\n";

    /// <summary>Writes the question block of a row or exemplar.</summary>
    public string RenderQuestion(IReadOnlyList<string> inputs, IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(choices);
        return Placeholder.Replace(Question, match =>
        {
            var name = match.Groups[1].Value;
            if (name == "input")
            {
                return string.Join("\n", inputs);
            }
            if (name == "choices")
            {
                return string.Join("\n", choices.Select((c, i) => $"({Tasks.MultipleChoiceFormat.ChoiceLetter(i)}) {c}"));
            }
            var index = int.Parse(InputN.Match(name).Groups[1].Value, CultureInfo.InvariantCulture);
            return index <= inputs.Count
                ? inputs[index - 1]
                : throw new ArgumentException($"PromptTemplate.Question uses {{{name}}} but the row has {inputs.Count} input field(s).", nameof(inputs));
        });
    }

    /// <summary>Writes the answer block of an exemplar.</summary>
    public string RenderAnswer(PromptExemplar exemplar)
    {
        ArgumentNullException.ThrowIfNull(exemplar);
        return Placeholder.Replace(Answer, match => match.Groups[1].Value switch
        {
            "rationale" => exemplar.Rationale,
            "label" => exemplar.Label,
            _ => LetterOf(exemplar),
        });
    }

    /// <summary>Writes the whole user message: header, exemplars, then the row's question.</summary>
    public string RenderUser(IReadOnlyList<PromptExemplar> exemplars, IReadOnlyList<string> inputs, IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(exemplars);
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(Header))
        {
            text.Append(Header).Append(Separator);
        }
        foreach (var exemplar in exemplars)
        {
            text.Append(RenderQuestion(exemplar.Inputs, exemplar.Choices)).Append(RenderAnswer(exemplar)).Append(Separator);
        }
        return text.Append(RenderQuestion(inputs, choices)).ToString();
    }

    private static string LetterOf(PromptExemplar exemplar)
    {
        for (var i = 0; i < exemplar.Choices.Count; i++)
        {
            if (string.Equals(exemplar.Choices[i], exemplar.Label, StringComparison.Ordinal))
            {
                return Tasks.MultipleChoiceFormat.ChoiceLetter(i).ToString();
            }
        }
        throw new ArgumentException($"exemplar label \"{exemplar.Label}\" is not one of its choices, so {{letter}} has no value", nameof(exemplar));
    }

    private static void CheckPlaceholders(string part, string template, Func<string, bool> known)
    {
        foreach (Match match in Placeholder.Matches(template))
        {
            if (!known(match.Groups[1].Value))
            {
                throw new ArgumentException($"PromptTemplate.{part} has an unknown placeholder {match.Value}; see the PromptTemplate remarks for the known ones.", part.ToLowerInvariant());
            }
        }
    }
}
