namespace MLNet.StepDistill.Serving;

/// <summary>
/// A request the model cannot answer as sent: a field is missing or empty, too long, or asks for something the model
/// does not give (a rationale from a student trained in Standard mode). The caller's fault: an HTTP app answers 400 with
/// the message. Nothing was queued.
/// </summary>
public sealed class StepDistillRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The request field at fault (the dataset's field name), or null when it is not one field.</param>
    /// <param name="message">What is wrong, in words a client can act on.</param>
    public StepDistillRequestException(string? field, string message)
        : base(message)
    {
        Field = field;
    }

    /// <summary>The request field at fault, or null.</summary>
    public string? Field { get; }
}

/// <summary>
/// More requests are waiting than <see cref="StepDistillPredictorOptions.MaxQueueLength"/> allows: the request was not
/// queued. An HTTP app answers 503 (try again later).
/// </summary>
public sealed class StepDistillOverloadedException(string message) : Exception(message);
