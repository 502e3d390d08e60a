using System.Threading.RateLimiting;
using Polly;
using Polly.Retry;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The Polly pipeline every chat request of one teacher runs through, outermost first:
/// retry (exponential backoff with jitter, or the server's Retry-After) -> concurrency limit -> request-rate limit
/// -> per-call timeout. Waiting between retries holds no concurrency slot. Owns its limiters.
/// </summary>
internal sealed class TeacherResilience : IDisposable
{
    private readonly ConcurrencyLimiter concurrency;
    private readonly TokenBucketRateLimiter? rate;

    /// <param name="options">Retries, limits and timeouts.</param>
    /// <param name="stopRetrying">True for a failure that no retry can mend (e.g. connection refused before any success); <c>null</c> for none.</param>
    public TeacherResilience(TeacherCallOptions options, Func<Exception, bool>? stopRetrying = null)
    {
        options.Validate();
        concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrency,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        rate = options.RequestsPerSecond is { } perSecond ? CreateRateLimiter(perSecond) : null;

        var builder = new ResiliencePipelineBuilder();
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(CreateRetry(options, stopRetrying ?? (_ => false)));
        }
        builder.AddRateLimiter(concurrency);
        if (rate is not null)
        {
            builder.AddRateLimiter(rate);
        }
        builder.AddTimeout(options.PerCallTimeout);
        Pipeline = builder.Build();
    }

    /// <summary>The pipeline; share it across calls so the limits hold for all of them.</summary>
    public ResiliencePipeline Pipeline { get; }

    public void Dispose()
    {
        concurrency.Dispose();
        rate?.Dispose();
    }

    private static RetryStrategyOptions CreateRetry(TeacherCallOptions options, Func<Exception, bool> stopRetrying) => new()
    {
        MaxRetryAttempts = options.MaxRetries,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = options.BaseDelay,
        MaxDelay = options.MaxDelay,
        ShouldHandle = args => ValueTask.FromResult(
            args.Outcome.Exception is { } e && !IsCallerCancellation(e, args.Context.CancellationToken) && TeacherFailure.Of(e).Retryable && !stopRetrying(e)),
        DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
            RetryAfter.TryGet(args.Outcome.Exception, out var wait) ? Min(wait, options.MaxDelay) : null),
        OnRetry = args =>
        {
            if (options.OnRetry is { } notify && args.Outcome.Exception is { } e)
            {
                var failure = TeacherFailure.Of(e);
                notify(new TeacherRetryNotice(args.AttemptNumber + 1, args.RetryDelay, failure.Status, failure.Reason, RetryAfter.TryGet(e, out _)));
            }
            return default;
        },
    };

    private static bool IsCallerCancellation(Exception e, CancellationToken token) =>
        e is OperationCanceledException && token.IsCancellationRequested;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// A token bucket that starts at most <paramref name="perSecond"/> requests a second. Buckets refill about every
    /// 100 ms (or once per request below 10 a second) so timer granularity does not bend the rate.
    /// </summary>
    private static TokenBucketRateLimiter CreateRateLimiter(double perSecond)
    {
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(perSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokensPerPeriod,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }
}
