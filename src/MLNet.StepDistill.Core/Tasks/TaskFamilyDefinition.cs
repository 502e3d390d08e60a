namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Everything the stages must agree on about a task family, in one place: its <c>dataset.json</c> name, the paper's
/// input format, where a teacher's completion holds its answer, what the answer is, and (through
/// <see cref="AnswerComparer"/>) when two answers are the same.
/// </summary>
public sealed class TaskFamilyDefinition
{
    private static readonly TaskFamilyDefinition[] All =
    [
        new(TaskFamily.MultipleChoiceQa, "multiple-choice-qa", TaskAnswerKind.Choice, new CompletionMarkers("So the answer is", "Q:"), _ => new MultipleChoiceFormat()),
        new(TaskFamily.Nli, "nli", TaskAnswerKind.Label, new CompletionMarkers("So the answer is", "Premise:"), eos => new NliFormat(eos)),
        new(TaskFamily.Math, "math", TaskAnswerKind.Equation, new CompletionMarkers("The answer is", "Q:"), _ => new PlainTextFormat()),
        new(TaskFamily.Classification, "classification", TaskAnswerKind.Label, new CompletionMarkers("So the answer is", "Q:"), _ => new PlainTextFormat()),
    ];

    private readonly Func<string, ITaskFormat> format;

    private TaskFamilyDefinition(TaskFamily family, string name, TaskAnswerKind answerKind, CompletionMarkers markers, Func<string, ITaskFormat> format)
    {
        Family = family;
        Name = name;
        AnswerKind = answerKind;
        DefaultMarkers = markers;
        this.format = format;
    }

    /// <summary>The family.</summary>
    public TaskFamily Family { get; }

    /// <summary>Its name in <c>dataset.json</c>, e.g. <c>"multiple-choice-qa"</c>.</summary>
    public string Name { get; }

    /// <summary>What its answer is: a label, a choice, or an equation compared by value.</summary>
    public TaskAnswerKind AnswerKind { get; }

    /// <summary>
    /// The paper's completion markers: multiple-choice and classification <c>"So the answer is"</c> cut at <c>"Q:"</c>;
    /// math <c>"The answer is"</c> cut at <c>"Q:"</c>; nli <c>"So the answer is"</c> cut at <c>"Premise:"</c>
    /// (e-SNLI's prompt differs: its manifest sets <c>"Answer:"</c> cut at <c>"Premise"</c>).
    /// </summary>
    public CompletionMarkers DefaultMarkers { get; }

    /// <summary>Every family, in declaration order.</summary>
    public static IReadOnlyList<TaskFamilyDefinition> Families => All;

    /// <summary>The definition of <paramref name="family"/>.</summary>
    public static TaskFamilyDefinition For(TaskFamily family) =>
        All.FirstOrDefault(d => d.Family == family) ?? throw new ArgumentOutOfRangeException(nameof(family), family, "unknown task family");

    /// <summary>The paper's input format (NLI joins premise and hypothesis with <paramref name="endOfSequence"/>).</summary>
    public ITaskFormat Format(string endOfSequence = NliFormat.T5EndOfSequence) => format(endOfSequence);
}
