namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A teacher call that did not produce a completion: its retries are spent, or the server refused it outright
/// (e.g. 401 or 404). The annotator marks the row <c>call-failed</c> and goes on with the batch.
/// The message and inner exception never hold the API key.
/// </summary>
public sealed class TeacherCallFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, without secrets.</param>
    /// <param name="attempts">How many requests were made.</param>
    /// <param name="lastStatus">The HTTP status of the last answer, or <c>null</c> when there was none.</param>
    /// <param name="innerException">The last failure, when it holds no secret.</param>
    public TeacherCallFailedException(string message, int attempts, int? lastStatus, Exception? innerException = null)
        : base(message, innerException)
    {
        Attempts = attempts;
        LastStatus = lastStatus;
    }

    /// <summary>
    /// True when the failure means the teacher cannot be reached at all (a rejected key, no such model or path, nothing
    /// listening): the annotator then stops the run with a <see cref="TeacherUnavailableException"/> instead of failing
    /// every row in turn.
    /// </summary>
    public bool TeacherUnreachable { get; init; }

    /// <summary>True when the call was not made because it could pass the run's budget (<see cref="RationaleAnnotatorOptions.MaxCost"/>).</summary>
    public bool BudgetReached { get; init; }

    /// <summary>How many requests were made for this completion.</summary>
    public int Attempts { get; }

    /// <summary>The HTTP status of the last answer, or <c>null</c> for a timeout, a broken connection or no answer.</summary>
    public int? LastStatus { get; }
}
