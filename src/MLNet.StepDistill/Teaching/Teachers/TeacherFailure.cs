using System.ClientModel;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Polly.Timeout;

namespace MLNet.StepDistill.Teaching;

/// <summary>What one failed request was, and whether trying again can help.</summary>
/// <param name="Retryable">True for 429, 408, 5xx, timeouts, broken connections and unreadable bodies.</param>
/// <param name="Status">The HTTP status, when the server answered.</param>
/// <param name="Reason">A few words for messages and retry notices; never holds request headers.</param>
/// <param name="Refused">True when nothing listens at the address (connection refused, unknown host).</param>
internal readonly record struct TeacherFailure(bool Retryable, int? Status, string Reason, bool Refused = false)
{
    /// <summary>Sorts an exception thrown by one chat request.</summary>
    public static TeacherFailure Of(Exception exception) => exception switch
    {
        ClientResultException { Status: > 0 } e => new(IsRetryableStatus(e.Status), e.Status, $"HTTP {e.Status}"),
        // The SDK's transport wraps a request that got no answer (connection refused, reset, cut short) with status 0.
        ClientResultException e when IsRefused(e) => new(true, null, "connection refused", Refused: true),
        ClientResultException e => new(true, null, "no answer (" + (e.InnerException?.GetType().Name ?? "connection failed") + ")"),
        HttpRequestException e when e.StatusCode is { } code => new(IsRetryableStatus((int)code), (int)code, $"HTTP {(int)code}"),
        HttpRequestException e when IsRefused(e) => new(true, null, "connection refused", Refused: true),
        HttpRequestException => new(true, null, "broken connection"),
        IOException => new(true, null, "broken connection"),
        TimeoutRejectedException e => new(true, null, string.Create(CultureInfo.InvariantCulture, $"no answer within {e.Timeout.TotalMilliseconds:0} ms")),
        JsonException => new(true, null, "unreadable response body"),
        _ => new(false, null, exception.GetType().Name),
    };

    /// <summary>
    /// Whether this failure means the teacher cannot be reached at all when it happens before any call has succeeded:
    /// a rejected key (401, 403), no such model or path (404), or nothing listening (connection refused, unknown host).
    /// 401 and 403 count at any time: a key does not start working again mid-run.
    /// </summary>
    public bool IsFatal(bool anyCallSucceeded) => Status is 401 or 403 || (!anyCallSucceeded && (Status == 404 || Refused));

    /// <summary>What the user should check for a fatal failure, in one sentence.</summary>
    public string WhatToCheck(string endpoint, string model) => Status switch
    {
        401 => "The server rejected the API key: check that the key is right and belongs to this endpoint",
        403 => $"The API key may not use model '{model}' or this endpoint: check the key's project and permissions",
        404 => $"The server has no model '{model}' or no chat-completions route at {endpoint}: check --model and that the endpoint is the API base (it usually ends in /v1)",
        _ => $"Nothing answers at {endpoint}: check the host and port and that the server is running",
    };

    private static bool IsRefused(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NoData or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsRetryableStatus(int status) => status is 408 or 429 || status >= 500;
}
