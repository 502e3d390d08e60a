namespace MLNet.StepDistill.Training;

/// <summary>One row of a dataset split with its teacher annotation, in the trainer's default column names.</summary>
public sealed class AnnotatedRow
{
    /// <summary>The row id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The formatted task input (no prefix).</summary>
    public string Input { get; set; } = "";

    /// <summary>The gold target (empty when the split has none).</summary>
    public string Label { get; set; } = "";

    /// <summary>The answer choices (multiple-choice), otherwise empty.</summary>
    public string[] Choices { get; set; } = [];

    /// <summary>The teacher's rationale (empty when there is no usable annotation).</summary>
    public string Rationale { get; set; } = "";

    /// <summary>The teacher's label (empty when parsing failed).</summary>
    public string TeacherLabel { get; set; } = "";

    /// <summary>The annotator's status (<c>"ok"</c>, <c>"label-only"</c>, <c>"parse-failed"</c>, <c>"call-failed"</c>, <c>"filtered"</c>), or <c>"not-annotated"</c>.</summary>
    public string AnnotationStatus { get; set; } = "";

    /// <summary>The trainer's default reading of <see cref="AnnotationStatus"/>.</summary>
    private static readonly MultiTaskSeq2SeqTrainerOptions DefaultStatuses = new();

    /// <summary>
    /// The teacher label as the trainer takes it with its default statuses: <see cref="TeacherLabel"/> for <c>ok</c> and
    /// <c>label-only</c> rows, else empty. (Internal, so ML.NET does not make it a column.)
    /// </summary>
    internal string UsableTeacherLabel => DefaultStatuses.GivesTeacherLabel(AnnotationStatus) ? TeacherLabel : "";
}
