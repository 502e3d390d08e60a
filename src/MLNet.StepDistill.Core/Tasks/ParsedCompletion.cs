namespace MLNet.StepDistill.Tasks;

/// <summary>A teacher completion split into rationale and label.</summary>
/// <param name="Rationale">The chain of thought before the answer (trimmed); what the student learns to explain. Empty when none was found.</param>
/// <param name="Label">The teacher's label (a choice text, a class label, or an arithmetic expression); null when parsing failed.</param>
/// <param name="Status">Whether parsing succeeded.</param>
/// <param name="Failure">Why parsing failed; <see cref="ParseFailure.None"/> when it succeeded.</param>
/// <param name="FailureReason">Why parsing failed, in words (quoting the offending text); null when it succeeded.</param>
public sealed record ParsedCompletion(string Rationale, string? Label, ParseStatus Status, ParseFailure Failure, string? FailureReason)
{
    /// <summary>True when <see cref="Status"/> is <see cref="ParseStatus.Ok"/>.</summary>
    public bool IsOk => Status == ParseStatus.Ok;

    /// <summary>
    /// True when no label text was found at all (empty completion, no answer marker, nothing after it): the
    /// "no label found" count of the paper's tables. A label that was found but rejected is not counted here.
    /// </summary>
    public bool NoLabelFound => Failure is ParseFailure.EmptyCompletion or ParseFailure.NoAnswerMarker or ParseFailure.NoLabel;

    /// <summary>A successful parse.</summary>
    public static ParsedCompletion Ok(string rationale, string label) => new(rationale, label, ParseStatus.Ok, ParseFailure.None, null);

    /// <summary>A failed parse with its kind, reason, and whatever rationale was found before the failure.</summary>
    public static ParsedCompletion Failed(ParseFailure failure, string reason, string rationale = "")
    {
        if (failure == ParseFailure.None)
        {
            throw new ArgumentException("a failed parse needs a failure kind", nameof(failure));
        }

        return new(rationale, null, ParseStatus.ParseFailed, failure, reason);
    }

    /// <summary>A label without a rationale (<see cref="ParseStatus.LabelOnly"/>).</summary>
    public static ParsedCompletion LabelOnly(string label) => new("", label ?? throw new ArgumentNullException(nameof(label)), ParseStatus.LabelOnly, ParseFailure.None, null);

    /// <summary>True when a label was found (<see cref="ParseStatus.Ok"/> or <see cref="ParseStatus.LabelOnly"/>).</summary>
    public bool HasLabel => Status is ParseStatus.Ok or ParseStatus.LabelOnly;
}
