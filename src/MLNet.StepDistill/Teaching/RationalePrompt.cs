using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A few-shot chain-of-thought prompt: a <see cref="PromptTemplate"/> and its exemplars. <see cref="Build"/> turns a
/// task row into the <see cref="TeacherPrompt"/> a teacher answers.
/// </summary>
/// <example><code>
/// var prompt = RationalePrompt.ForDataset(TaskDataset.Open("datasets/cqa").Manifest);   // Wei et al.'s 7 CQA exemplars
/// var mine = prompt with { Exemplars = RationalePrompt.LoadExemplars("my-exemplars.json", TaskFamily.MultipleChoiceQa) };
/// </code></example>
/// <param name="Template">The layout.</param>
/// <param name="Exemplars">The worked examples, in order (may be empty for a zero-shot prompt).</param>
public sealed record RationalePrompt(PromptTemplate Template, IReadOnlyList<PromptExemplar> Exemplars)
{
    /// <summary>The prompt for one row: the template's system message, and exemplars followed by the row's question.</summary>
    public TeacherPrompt Build(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new TeacherPrompt(example.Id, Template.System, Template.RenderUser(Exemplars, example.Inputs, example.Choices));
    }

    /// <summary>
    /// The default prompt of a dataset: its family's layout with the answer marker of its manifest and the shipped
    /// exemplars (see <see cref="ForFamily"/>).
    /// </summary>
    public static RationalePrompt ForDataset(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return ForFamily(manifest.Schema, manifest.Completion);
    }

    /// <summary>
    /// The default prompt of a family. Multiple-choice: the 7 CommonsenseQA exemplars of Wei et al. (2022),
    /// <c>Q: ...\nAnswer Choices:\n(a) ...\nA: &lt;rationale&gt; So the answer is (c) television.</c>. Math: their 8 math
    /// exemplars, <c>Q: ...\nA: &lt;rationale&gt; The answer is (21 - 15).</c>. NLI: our ANLI exemplars,
    /// <c>Premise: ...\nHypothesis: ...\nAnswer: &lt;rationale&gt; So the answer is contradiction.</c>, or, when the answer
    /// marker is <c>"Answer:"</c>, our e-SNLI ones, <c>Premise: ...\nHypothesis: ...\nReasonings: &lt;rationale&gt;\nAnswer: entailment</c>.
    /// Classification: zero-shot <c>Q: ...\nA:</c> with the label set in a header. The answer sentence uses
    /// <paramref name="markers"/>' answer marker, so the teacher's reply parses with the same rules.
    /// </summary>
    /// <param name="schema">The task schema (family, and the label set for classification).</param>
    /// <param name="markers">The completion markers; <c>null</c> for the family's default.</param>
    public static RationalePrompt ForFamily(TaskSchema schema, CompletionMarkers? markers = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        markers ??= CompletionMarkers.DefaultFor(schema.Family);
        var marker = markers.AnswerMarker.Trim();
        return schema.Family switch
        {
            TaskFamily.MultipleChoiceQa => new(
                new PromptTemplate("Q: {input}\nAnswer Choices:\n{choices}\nA:", " {rationale} " + marker + " ({letter}) {label}."),
                ShippedExemplars.Cqa),
            TaskFamily.Math => new(
                new PromptTemplate("Q: {input}\nA:", " {rationale} " + marker + " ({label})."),
                ShippedExemplars.Svamp),
            TaskFamily.Nli when marker == "Answer:" => new(
                new PromptTemplate("Premise: {input1}\nHypothesis: {input2}\nReasonings:", " {rationale}\n" + marker + " {label}"),
                ShippedExemplars.Esnli),
            TaskFamily.Nli => new(
                new PromptTemplate("Premise: {input1}\nHypothesis: {input2}\nAnswer:", " {rationale} " + marker + " {label}."),
                ShippedExemplars.Anli),
            TaskFamily.Classification => new(
                new PromptTemplate("Q: {input}\nA:", " {rationale} " + marker + " {label}.")
                {
                    Header = "Answer each question step by step, then end with \"" + marker + " <label>.\""
                        + (schema.Labels is { Count: > 0 } labels ? " The label is one of: " + string.Join(", ", labels) + "." : ""),
                },
                []),
            _ => throw new ArgumentOutOfRangeException(nameof(schema), schema.Family, "unknown task family"),
        };
    }

    /// <summary>
    /// Reads exemplars from a JSON file shaped like the shipped ones: <c>{"exemplars": [{...}, ...]}</c> where each
    /// exemplar has <c>"rationale"</c>, a label (<c>"label"</c>, <c>"answer"</c> or <c>"equation"</c>), its inputs
    /// (<c>"inputs": [...]</c>, or by the family: <c>"question"</c>; <c>"premise"</c> and <c>"hypothesis"</c>; <c>"text"</c>)
    /// and, for multiple-choice, <c>"choices"</c>.
    /// </summary>
    /// <exception cref="DatasetFormatException">The file is missing or an exemplar lacks a field (the message names file and field).</exception>
    public static IReadOnlyList<PromptExemplar> LoadExemplars(string path, TaskFamily family)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such exemplar file");
        }
        using var stream = File.OpenRead(path);
        return ExemplarFile.Read(stream, path, family);
    }
}
