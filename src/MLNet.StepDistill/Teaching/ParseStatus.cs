namespace MLNet.StepDistill.Teaching;

/// <summary>Whether a teacher completion gave a usable rationale and label.</summary>
public enum ParseStatus
{
    /// <summary>Rationale and label were found.</summary>
    Ok,

    /// <summary>The completion does not hold a usable label (see <see cref="ParsedCompletion.FailureReason"/>).</summary>
    ParseFailed,
}
