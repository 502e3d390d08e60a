using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using Polly.Timeout;

namespace MLNet.StepDistill.Teaching;

/// <summary>What one failed request was, and whether trying again can help.</summary>
/// <param name="Retryable">True for 429, 408, 5xx, timeouts, broken connections and unreadable bodies.</param>
/// <param name="Status">The HTTP status, when the server answered.</param>
/// <param name="Reason">A few words for messages and retry notices; never holds request headers.</param>
internal readonly record struct TeacherFailure(bool Retryable, int? Status, string Reason)
{
    /// <summary>Sorts an exception thrown by one chat request.</summary>
    public static TeacherFailure Of(Exception exception) => exception switch
    {
        ClientResultException { Status: > 0 } e => new(IsRetryableStatus(e.Status), e.Status, $"HTTP {e.Status}"),
        // The SDK's transport wraps a request that got no answer (connection refused, reset, cut short) with status 0.
        ClientResultException e => new(true, null, "no answer (" + (e.InnerException?.GetType().Name ?? "connection failed") + ")"),
        HttpRequestException e when e.StatusCode is { } code => new(IsRetryableStatus((int)code), (int)code, $"HTTP {(int)code}"),
        HttpRequestException => new(true, null, "broken connection"),
        IOException => new(true, null, "broken connection"),
        TimeoutRejectedException e => new(true, null, string.Create(CultureInfo.InvariantCulture, $"no answer within {e.Timeout.TotalMilliseconds:0} ms")),
        JsonException => new(true, null, "unreadable response body"),
        _ => new(false, null, exception.GetType().Name),
    };

    private static bool IsRetryableStatus(int status) => status is 408 or 429 || status >= 500;
}
