namespace MLNet.StepDistill.TestServer;

/// <summary>A failure the fake server can answer with instead of a completion.</summary>
public enum FakeFault
{
    /// <summary>429 with <c>Retry-After</c> (and <c>retry-after-ms</c> when <see cref="FakeServerOptions.RetryAfterMilliseconds"/> is set).</summary>
    TooManyRequests,

    /// <summary>500 with an OpenAI-style error body.</summary>
    ServerError,

    /// <summary>The connection is aborted before any answer (<c>HttpContext.Abort()</c>).</summary>
    DropConnection,

    /// <summary>200 with a body that is not valid JSON (a completion cut short).</summary>
    MalformedBody,
}

/// <summary>How a batch on the fake server ends once its polls are done.</summary>
public enum FakeBatchOutcome
{
    /// <summary><c>completed</c>: every request answered (in the output file) or failed (in the error file).</summary>
    Completed,

    /// <summary><c>failed</c>: the input was refused as a whole (validation errors); no output file.</summary>
    Failed,

    /// <summary><c>expired</c>: the first half of the requests answered, the rest in the error file as <c>batch_expired</c>.</summary>
    Expired,

    /// <summary><c>cancelled</c>: the first half of the requests answered, the rest in the error file as <c>batch_cancelled</c>.</summary>
    Cancelled,
}

/// <summary>How a <see cref="FakeChatCompletionsServer"/> behaves: its key, its latency and the faults it injects.</summary>
public sealed class FakeServerOptions
{
    /// <summary>The key every request must present as <c>Authorization: Bearer {key}</c>, else 401. Default "test-key".</summary>
    public string ExpectedApiKey { get; init; } = "test-key";

    /// <summary>A wait before every answer (faults included). Default none.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Fail the first this many requests of each distinct prompt with <see cref="FirstAttemptsFault"/>, so a
    /// retry-then-succeed path is deterministic. Default 0.
    /// </summary>
    public int FailFirstAttempts { get; init; }

    /// <summary>The fault used by <see cref="FailFirstAttempts"/>. Default <see cref="FakeFault.ServerError"/>.</summary>
    public FakeFault FirstAttemptsFault { get; init; } = FakeFault.ServerError;

    /// <summary>The fraction (0 to 1) of other requests that get a random fault from <see cref="RandomFaults"/>. Default 0.</summary>
    public double FaultFraction { get; init; }

    /// <summary>The faults <see cref="FaultFraction"/> draws from, uniformly. Default all four.</summary>
    public IReadOnlyList<FakeFault> RandomFaults { get; init; } =
        [FakeFault.TooManyRequests, FakeFault.ServerError, FakeFault.DropConnection, FakeFault.MalformedBody];

    /// <summary>The seed of the random fault draws. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The <c>Retry-After</c> header of a 429, in whole seconds. Default 1.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>When set, a 429 also carries <c>retry-after-ms</c> with this value (OpenAI sends both). Default unset.</summary>
    public int? RetryAfterMilliseconds { get; init; }

    /// <summary>Whether answers carry <c>usage</c> (word counts as tokens); false plays a server that reports none. Default true.</summary>
    public bool ReportUsage { get; init; } = true;

    /// <summary>How batches end. Default <see cref="FakeBatchOutcome.Completed"/>.</summary>
    public FakeBatchOutcome BatchOutcome { get; init; } = FakeBatchOutcome.Completed;

    /// <summary>
    /// Status reads of a batch before it ends (validating, in_progress, finalizing ... then the outcome); 0 ends it at
    /// creation. Default 2.
    /// </summary>
    public int BatchPollsToFinish { get; init; } = 2;

    /// <summary>Requests inside a batch that fail (an error-file line with status 500) instead of being answered; <c>null</c> for none.</summary>
    public Func<FakeChatRequest, bool>? BatchRequestFails { get; init; }

    /// <summary>Answers every request that carries a <c>response_format</c> with 400, like a server or model without structured outputs. Default false.</summary>
    public bool RejectResponseFormat { get; init; }

    /// <summary>
    /// Makes the 401 body quote the Authorization header it got, like a careless server, so tests can check that
    /// callers keep the key out of their errors. Default false.
    /// </summary>
    public bool EchoAuthorizationInErrors { get; init; }
}
