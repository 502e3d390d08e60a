using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A few-shot chain-of-thought prompt: a <see cref="PromptTemplate"/> and its exemplars. <see cref="Build"/> turns a
/// task row into the <see cref="TeacherPrompt"/> a teacher answers.
/// </summary>
/// <example><code>
/// var cqa = TaskDataset.Open("datasets/cqa");
/// var prompt = RationalePrompt.ForDataset(cqa.Manifest);   // Wei et al.'s 7 CQA exemplars
/// var mine = prompt with { Exemplars = ExemplarFile.Read("my-exemplars.json", cqa.Manifest.Schema) };
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
    /// The prompt that asks the teacher to explain a known answer instead of predicting one (the <c>explain-gold</c>
    /// rationale mode and exemplar bootstrapping): the usual prompt, with a line before the row's question that gives
    /// the gold answer and asks for the reasoning that leads to it, ending with the answer sentence as usual. The
    /// completion parses with the family's parser, so a completion that argues for another answer is caught.
    /// </summary>
    /// <param name="example">The row; its <see cref="TaskExample.Target"/> is the answer to explain.</param>
    /// <exception cref="ArgumentException">The row has no gold target.</exception>
    public TeacherPrompt BuildExplaining(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (!example.HasTarget)
        {
            throw new ArgumentException($"row \"{example.Id}\" has no gold answer to explain", nameof(example));
        }

        var letter = AnswerComparer.PositionAmong(example.Target, example.Choices) is var position and >= 0
            ? $"({MultipleChoiceFormat.ChoiceLetter(position)}) "
            : "";
        var hint = $"The correct answer to the next question is {letter}{example.Target.Trim()}. Explain step by step why it is correct, then state it as the answer in the usual way.";
        var user = Template.RenderUser(Exemplars, example.Inputs, example.Choices);
        var question = Template.RenderQuestion(example.Inputs, example.Choices);
        return new TeacherPrompt(example.Id, Template.System, user[..^question.Length] + hint + "\n" + question);
    }

    /// <summary>
    /// The default prompt of a dataset: its family's layout (<see cref="TaskFamily.DefaultTemplate"/>) with the answer
    /// marker of its manifest, the task described by its <c>description</c> and <c>labelDescriptions</c>
    /// (<see cref="PromptTemplate.DescribeTask"/>), and its exemplars: the manifest's <c>exemplars</c> file when it names
    /// one, else the family's defaults (the paper's shipped exemplars; none for classification).
    /// </summary>
    /// <exception cref="DatasetFormatException">The manifest's exemplar file is missing or malformed.</exception>
    public static RationalePrompt ForDataset(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var prompt = ForFamily(manifest.Schema, manifest.Completion);
        return new RationalePrompt(
            prompt.Template.DescribeTask(manifest.Schema, manifest.Completion, manifest.Description, manifest.LabelDescriptions),
            manifest.ExemplarsPath is { } path ? ExemplarFile.Read(path, manifest.Schema) : prompt.Exemplars);
    }

    /// <summary>
    /// The default prompt of a family: <see cref="TaskFamily.DefaultTemplate"/> and
    /// <see cref="TaskFamily.DefaultExemplars"/>. The answer sentence uses <paramref name="markers"/>' answer marker, so
    /// the teacher's completion parses with the same rules.
    /// </summary>
    /// <param name="schema">The task schema (family, and the label set for classification).</param>
    /// <param name="markers">The completion markers; <c>null</c> for the family's default.</param>
    public static RationalePrompt ForFamily(TaskSchema schema, CompletionMarkers? markers = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        markers ??= schema.Family.DefaultMarkers;
        return new(schema.Family.DefaultTemplate(schema, markers), schema.Family.DefaultExemplars(markers));
    }
}
