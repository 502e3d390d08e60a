using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Recipes;

/// <summary>
/// One line of an annotated-rows file (<see cref="AnnotatedRowsFile"/>): a task row with what its teacher made of it.
/// The JSON field of each property is its camel-case name (<c>id</c>, <c>input</c>, <c>rationale</c>, ...).
/// </summary>
public sealed record AnnotatedFileRow
{
    /// <summary>The row id (field <c>id</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The formatted student input, without a prefix (field <c>input</c>).</summary>
    public required string Input { get; init; }

    /// <summary>The teacher's rationale; empty when there is none (field <c>rationale</c>).</summary>
    public string Rationale { get; init; } = "";

    /// <summary>The teacher's label; null when it gave none (field <c>teacherLabel</c>).</summary>
    public string? TeacherLabel { get; init; }

    /// <summary>The row's status, one of <see cref="AnnotationStatus.All"/> (field <c>status</c>).</summary>
    public required string Status { get; init; }

    /// <summary>How the rationale was asked for (field <c>rationales</c>: <c>teacher-label</c>, or <c>explain-gold</c>; <see cref="RationaleMode.TeacherLabel"/> when a row leaves it out).</summary>
    public RationaleMode Rationales { get; init; } = RationaleMode.TeacherLabel;

    /// <summary>Why the row is not <c>ok</c>; null when it is (field <c>failureReason</c>).</summary>
    public string? FailureReason { get; init; }

    /// <summary>The gold target; null for an unlabelled row (field <c>gold</c>).</summary>
    public string? Gold { get; init; }

    /// <summary>The answer choices of a multiple-choice row, otherwise empty (field <c>choices</c>).</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Whether the teacher's label matches the gold label; null without gold or without an answer (field <c>teacherCorrect</c>).</summary>
    public bool? TeacherCorrect { get; init; }

    /// <summary>How many samples gave the chosen label (field <c>votes</c>).</summary>
    public int Votes { get; init; }

    /// <summary>How many completions were parsed for the row (field <c>samples</c>).</summary>
    public int Samples { get; init; }

    /// <summary>Prompt tokens of the row's completions (field <c>promptTokens</c>).</summary>
    public long PromptTokens { get; init; }

    /// <summary>Completion tokens of the row's completions (field <c>completionTokens</c>).</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Whether some token counts are estimates (field <c>tokensEstimated</c>).</summary>
    public bool TokensEstimated { get; init; }

    /// <summary>How many of the row's completions came from the cache (field <c>cachedSamples</c>).</summary>
    public int CachedSamples { get; init; }

    /// <summary>What the annotating run paid for the row, when it had prices (field <c>cost</c>).</summary>
    public double? Cost { get; init; }

    /// <summary>
    /// The line for <paramref name="example"/> as the annotator decided it: <paramref name="input"/> is the example's
    /// formatted student input. The teacher label is kept for the statuses that have one (ok, label-only, filtered).
    /// </summary>
    public static AnnotatedFileRow From(TaskExample example, string input, RowAnnotation annotation)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(annotation);
        return new AnnotatedFileRow
        {
            Id = annotation.Id,
            Input = input,
            Rationale = annotation.Rationale,
            TeacherLabel = annotation.Status is AnnotationStatus.Ok or AnnotationStatus.LabelOnly or AnnotationStatus.Filtered ? annotation.TeacherLabel : null,
            Status = annotation.Status,
            Rationales = annotation.Rationales,
            FailureReason = annotation.Reason,
            Gold = example.HasTarget ? example.Target : null,
            Choices = example.Choices,
            TeacherCorrect = annotation.TeacherCorrect,
            Votes = annotation.Votes,
            Samples = annotation.Samples,
            PromptTokens = annotation.PromptTokens,
            CompletionTokens = annotation.CompletionTokens,
            TokensEstimated = annotation.TokensEstimated,
            CachedSamples = annotation.CachedSamples,
            Cost = annotation.Cost,
        };
    }

    /// <summary>
    /// The row in the trainer's columns. The rationale and teacher label are kept whatever the status: the trainer takes
    /// rationales from <c>ok</c> rows only and teacher labels from <c>ok</c> and <c>label-only</c> rows.
    /// </summary>
    public AnnotatedRow ToAnnotatedRow() => new()
    {
        Id = Id,
        Input = Input,
        Label = Gold ?? "",
        Choices = [.. Choices],
        Rationale = Rationale,
        TeacherLabel = TeacherLabel ?? "",
        AnnotationStatus = Status,
    };
}
