using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The text layout of a few-shot chain-of-thought prompt. Each exemplar is written as <see cref="Question"/> followed by
/// <see cref="Answer"/>; the row to annotate is written as <see cref="Question"/> alone, so the prompt ends exactly where
/// the teacher's completion should begin (e.g. after <c>A:</c>) and the completion parses like the recorded ones.
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

    /// <summary>
    /// The template with the task described: the placeholders <c>{description}</c>, <c>{labels}</c> (the label set,
    /// comma-separated), <c>{label_descriptions}</c> (one <c>- label: meaning</c> line per label) and
    /// <c>{answer_marker}</c> in <see cref="System"/> and <see cref="Header"/> are filled in; when neither uses
    /// <c>{description}</c> or <c>{label_descriptions}</c>, a description block (<c>Task: ...</c>, then the labels with
    /// their meanings) is put in front of the header. Without a description and label descriptions, and without
    /// placeholders, the template is returned as it is.
    /// </summary>
    /// <param name="schema">The dataset's schema (its label set gives the order of the label lines).</param>
    /// <param name="markers">The completion markers (for <c>{answer_marker}</c>).</param>
    /// <param name="description">What the task is, in words (<c>dataset.json</c>'s <c>description</c>), or null.</param>
    /// <param name="labelDescriptions">Label -&gt; what it means (<c>dataset.json</c>'s <c>labelDescriptions</c>), or null.</param>
    public PromptTemplate DescribeTask(TaskSchema schema, CompletionMarkers markers, string? description, IReadOnlyDictionary<string, string>? labelDescriptions)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(markers);
        var labels = schema.Labels ?? [];
        var labelLines = labels.Count > 0
            ? string.Join("\n", labels.Select(l => labelDescriptions is not null && labelDescriptions.TryGetValue(l, out var meaning) ? $"- {l}: {meaning}" : $"- {l}"))
            : string.Join("\n", (labelDescriptions ?? new Dictionary<string, string>()).Select(kv => $"- {kv.Key}: {kv.Value}"));
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["description"] = description?.Trim() ?? "",
            ["labels"] = string.Join(", ", labels),
            ["label_descriptions"] = labelLines,
            ["answer_marker"] = markers.AnswerMarker.Trim(),
        };
        string? Fill(string? text) => text is null ? null : Placeholder.Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

        var placed = $"{System}\n{Header}";
        var describes = placed.Contains("{description}", StringComparison.Ordinal) || placed.Contains("{label_descriptions}", StringComparison.Ordinal);
        var header = Fill(Header);
        if (!describes && (!string.IsNullOrWhiteSpace(description) || labelDescriptions is { Count: > 0 }))
        {
            var block = new StringBuilder();
            if (!string.IsNullOrWhiteSpace(description))
            {
                block.Append("Task: ").Append(description.Trim());
            }

            if (labelDescriptions is { Count: > 0 })
            {
                block.Append(block.Length > 0 ? "\n" : "").Append("The labels:\n").Append(labelLines);
            }

            header = string.IsNullOrEmpty(header) ? block.ToString() : block + "\n" + header;
        }

        return this with { System = Fill(System), Header = header };
    }

    /// <summary>
    /// Reads a template of your own from a JSON file: <c>{"question": "...", "answer": "...", "system": "...",
    /// "header": "...", "separator": "..."}</c> (<c>question</c> and <c>answer</c> required). <c>question</c> and
    /// <c>answer</c> take the placeholders of the remarks above; <c>system</c> and <c>header</c> take
    /// <c>{description}</c>, <c>{labels}</c>, <c>{label_descriptions}</c> and <c>{answer_marker}</c> (see
    /// <see cref="DescribeTask"/>).
    /// </summary>
    /// <exception cref="DatasetFormatException">The file is missing, not JSON, lacks a field, or uses an unknown placeholder (the message names file and field).</exception>
    public static PromptTemplate Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such prompt template file");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, e.LineNumber + 1, null, "not valid JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, null, null, "expected a JSON object with \"question\" and \"answer\"");
            }

            var known = new[] { "question", "answer", "system", "header", "separator" };
            foreach (var property in root.EnumerateObject())
            {
                if (!known.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw new DatasetFormatException(path, null, property.Name, $"unknown key; a prompt template has {string.Join(", ", known)}");
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new DatasetFormatException(path, null, property.Name, "must be a string");
                }
            }

            string? Text(string name) => root.TryGetProperty(name, out var v) ? v.GetString() : null;
            foreach (var name in new[] { "system", "header" })
            {
                foreach (Match match in Placeholder.Matches(Text(name) ?? ""))
                {
                    if (match.Groups[1].Value is not ("description" or "labels" or "label_descriptions" or "answer_marker"))
                    {
                        throw new DatasetFormatException(path, null, name, $"unknown placeholder {match.Value}; {name} takes {{description}}, {{labels}}, {{label_descriptions}} and {{answer_marker}}");
                    }
                }
            }

            try
            {
                return new PromptTemplate(
                    Text("question") ?? throw new DatasetFormatException(path, null, "question", "missing: the question block, e.g. \"Email: {input}\\nA:\""),
                    Text("answer") ?? throw new DatasetFormatException(path, null, "answer", "missing: the exemplar answer block, e.g. \" {rationale} So the answer is {label}.\""))
                {
                    System = Text("system"),
                    Header = Text("header"),
                    Separator = Text("separator") ?? "\n\n",
                };
            }
            catch (ArgumentException e)
            {
                throw new DatasetFormatException(path, null, e.ParamName, e.Message, e);
            }
        }
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
