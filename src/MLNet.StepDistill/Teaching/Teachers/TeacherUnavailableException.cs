namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The annotation run stopped because the teacher cannot be reached at all: the server rejected the key (401, 403),
/// has no such model or path (404), or nothing listens at the endpoint. Thrown on the first such answer instead of
/// failing every row in turn; the message names the endpoint, the model, the status and what to check, never the key.
/// Completions received before it stay in the cache.
/// </summary>
public sealed class TeacherUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to check, without secrets.</param>
    /// <param name="innerException">The failed call.</param>
    public TeacherUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
