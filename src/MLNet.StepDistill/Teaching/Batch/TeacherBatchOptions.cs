namespace MLNet.StepDistill.Teaching;

/// <summary>What to do with requests that failed inside a provider batch.</summary>
public enum BatchRetryMode
{
    /// <summary>Ask them again with live calls (one request each) right after the batch. The default.</summary>
    Live,

    /// <summary>Ask them again in follow-up batches (up to <see cref="TeacherBatchOptions.MaxFollowUpBatches"/> rounds); those still failing end <c>call-failed</c>.</summary>
    FollowUpBatch,
}

/// <summary>
/// How an annotation run uses a provider batch API (the OpenAI Files + Batches endpoints): the requests the cache lacks
/// are written as JSONL (one <c>custom_id</c> per prompt and sample), uploaded with <c>purpose=batch</c>, run as batches
/// for <c>/v1/chat/completions</c> and polled with backoff; results go into the same teacher cache as live calls. Each
/// batch's id and state is kept in the cache folder (<c>batches/</c>), so a killed or restarted run polls the same
/// batch again instead of paying twice.
/// </summary>
public sealed class TeacherBatchOptions
{
    /// <summary>The most requests in one batch (OpenAI's limit is 50,000). Larger jobs are split. Default 50,000.</summary>
    public int MaxRequestsPerBatch { get; set; } = 50_000;

    /// <summary>The largest batch input file in bytes (OpenAI's limit is 200 MB). Larger jobs are split. Default 200 MB.</summary>
    public long MaxFileBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>The first wait between status polls; later waits double up to <see cref="MaxPollInterval"/>. Default 5 seconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between status polls. Default 2 minutes.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The provider's completion window for each batch. Default <c>"24h"</c> (the only value OpenAI accepts).</summary>
    public string CompletionWindow { get; set; } = "24h";

    /// <summary>The <c>url</c> of each request line and the batch's <c>endpoint</c>. Default <c>"/v1/chat/completions"</c> (Azure OpenAI: <c>"/chat/completions"</c>).</summary>
    public string RequestUrl { get; set; } = "/v1/chat/completions";

    /// <summary>What happens to requests that failed inside a batch. Default <see cref="BatchRetryMode.Live"/>.</summary>
    public BatchRetryMode RetryFailed { get; set; } = BatchRetryMode.Live;

    /// <summary>Follow-up batch rounds for <see cref="BatchRetryMode.FollowUpBatch"/>. Default 2.</summary>
    public int MaxFollowUpBatches { get; set; } = 2;

    /// <summary>Checks every value and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxRequestsPerBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRequestsPerBatch), MaxRequestsPerBatch, "TeacherBatchOptions.MaxRequestsPerBatch must be at least 1.");
        }
        if (MaxFileBytes < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFileBytes), MaxFileBytes, "TeacherBatchOptions.MaxFileBytes must be at least 1024.");
        }
        if (PollInterval <= TimeSpan.Zero || MaxPollInterval < PollInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "TeacherBatchOptions.PollInterval must be positive and at most MaxPollInterval.");
        }
        if (string.IsNullOrWhiteSpace(CompletionWindow))
        {
            throw new ArgumentException("TeacherBatchOptions.CompletionWindow must be set (e.g. \"24h\").", nameof(CompletionWindow));
        }
        if (MaxFollowUpBatches < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFollowUpBatches), MaxFollowUpBatches, "TeacherBatchOptions.MaxFollowUpBatches must be 0 or more.");
        }
    }
}
