namespace MLNet.StepDistill.Teaching;

/// <summary>
/// How a chat teacher calls its server: retries, timeouts and politeness limits.
/// One instance is read when the teacher is built; the limits are shared by all calls of that teacher.
/// </summary>
public sealed class TeacherCallOptions
{
    /// <summary>The most requests in flight at once. Default 8.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// How many times a failed request is tried again (so at most <c>MaxRetries + 1</c> requests per completion).
    /// Retried: 429, 408 and 5xx answers, per-call timeouts, broken connections and unreadable response bodies.
    /// Other answers (401, 400, 404 ...) fail at once. Default 6.
    /// </summary>
    public int MaxRetries { get; set; } = 6;

    /// <summary>The first retry delay; later ones grow exponentially, with jitter. Default 1 second.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait before a retry, including a server's <c>Retry-After</c>, which is honoured up to this cap.
    /// Default 60 seconds.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one request may take before it is abandoned (and retried); 10 ms to 1 day. Default 120 seconds.</summary>
    public TimeSpan PerCallTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The most requests started per second (retries included), or <c>null</c> for no rate limit. Default <c>null</c>.
    /// </summary>
    public double? RequestsPerSecond { get; set; }

    /// <summary>
    /// Told about each retry before its delay starts; never given anything secret. Default <c>null</c>.
    /// </summary>
    public Action<TeacherRetryNotice>? OnRetry { get; set; }

    /// <summary>Checks every value and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "TeacherCallOptions.MaxConcurrency must be at least 1.");
        }
        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "TeacherCallOptions.MaxRetries must be 0 or more.");
        }
        if (BaseDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "TeacherCallOptions.BaseDelay must not be negative.");
        }
        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "TeacherCallOptions.MaxDelay must be at least BaseDelay and at most 1 day.");
        }
        if (PerCallTimeout < TimeSpan.FromMilliseconds(10) || PerCallTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(PerCallTimeout), PerCallTimeout, "TeacherCallOptions.PerCallTimeout must be between 10 ms and 1 day.");
        }
        if (RequestsPerSecond is { } rate && (!double.IsFinite(rate) || rate <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestsPerSecond), rate, "TeacherCallOptions.RequestsPerSecond must be positive (or null for no limit).");
        }
    }
}

/// <summary>What a teacher tells <see cref="TeacherCallOptions.OnRetry"/> before a retry.</summary>
/// <param name="Attempt">The attempt that failed, from 1.</param>
/// <param name="Delay">How long the teacher waits before the next attempt.</param>
/// <param name="Status">The HTTP status of the failed attempt, when there was an answer.</param>
/// <param name="Reason">Why the attempt failed, in a few words (no secrets).</param>
/// <param name="FromRetryAfter">Whether <paramref name="Delay"/> came from the server's <c>Retry-After</c>.</param>
public sealed record TeacherRetryNotice(int Attempt, TimeSpan Delay, int? Status, string Reason, bool FromRetryAfter);
