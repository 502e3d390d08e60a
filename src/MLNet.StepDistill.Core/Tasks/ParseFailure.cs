namespace MLNet.StepDistill.Tasks;

/// <summary>Why a completion did not parse (<see cref="None"/> when it did).</summary>
public enum ParseFailure
{
    /// <summary>It parsed.</summary>
    None,

    /// <summary>The completion is empty or white space.</summary>
    EmptyCompletion,

    /// <summary>The answer marker (e.g. "So the answer is") is not in the completion before the cut.</summary>
    NoAnswerMarker,

    /// <summary>The marker is there but nothing after it reads as a label (no "(x)" choice, no parenthesised expression, no text).</summary>
    NoLabel,

    /// <summary>A label was read but is not acceptable: not one of the row's choices, not in the closed label set, or an expression that is unbalanced or not arithmetic.</summary>
    InvalidLabel,

    /// <summary>The answer names two different labels or choices (<c>either (c) forest or (e) rural area</c>): a hedge is not a label.</summary>
    TwoAnswers,
}
