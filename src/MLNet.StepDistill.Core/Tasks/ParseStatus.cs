namespace MLNet.StepDistill.Tasks;

/// <summary>Whether a teacher completion gave a usable rationale and label.</summary>
public enum ParseStatus
{
    /// <summary>Rationale and label were found.</summary>
    Ok,

    /// <summary>
    /// A label was found but no rationale: the label is usable by the methods that learn labels only (fine-tuning on
    /// teacher labels, distillation), not by the rationale task.
    /// </summary>
    LabelOnly,

    /// <summary>The completion does not hold a usable label (see <see cref="ParsedCompletion.FailureReason"/>).</summary>
    ParseFailed,
}
