using System.ClientModel;
using System.Globalization;

namespace MLNet.StepDistill.Teaching;

/// <summary>Reads how long a server asked us to wait (<c>retry-after-ms</c> or <c>Retry-After</c>) from a failed request.</summary>
internal static class RetryAfter
{
    /// <summary>The delay the server asked for, when the failure is an answer that carries one.</summary>
    public static bool TryGet(Exception? exception, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (exception is not ClientResultException result || result.GetRawResponse() is not { } response)
        {
            return false;
        }
        var headers = response.Headers;
        if (headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            delay = TimeSpan.FromMilliseconds(milliseconds);
            return true;
        }
        if (!headers.TryGetValue("Retry-After", out var value) || value is null)
        {
            return false;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            delay = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            var wait = when - DateTimeOffset.UtcNow;
            delay = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            return true;
        }
        return false;
    }
}
