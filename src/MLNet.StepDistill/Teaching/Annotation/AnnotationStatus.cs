namespace MLNet.StepDistill.Teaching;

/// <summary>The values of the <c>AnnotationStatus</c> column a <see cref="RationaleAnnotatorTransformer"/> adds.</summary>
public static class AnnotationStatus
{
    /// <summary>The teacher gave a rationale and a label: use the row for training.</summary>
    public const string Ok = "ok";

    /// <summary>
    /// The teacher gave a label but no rationale: the row's teacher label is usable by the methods that learn labels
    /// only (distillation), not by the rationale task.
    /// </summary>
    public const string LabelOnly = "label-only";

    /// <summary>The teacher answered but its completion holds no usable label.</summary>
    public const string ParseFailed = "parse-failed";

    /// <summary>Every call for the row failed (retries spent, or refused); a re-run with the same cache retries only these.</summary>
    public const string CallFailed = "call-failed";

    /// <summary>Parsed, but removed by a filter (the teacher's label disagrees with the gold label).</summary>
    public const string Filtered = "filtered";

    /// <summary>All statuses, in report order.</summary>
    public static IReadOnlyList<string> All { get; } = [Ok, LabelOnly, ParseFailed, CallFailed, Filtered];
}
