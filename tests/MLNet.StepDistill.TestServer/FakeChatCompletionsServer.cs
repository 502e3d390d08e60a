using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace MLNet.StepDistill.TestServer;

/// <summary>
/// A real OpenAI-compatible chat-completions server on loopback (Kestrel, dynamic port) for tests and benchmarks.
/// It serves <c>POST {BaseUri}/chat/completions</c> in the OpenAI wire format, answering with a responder function
/// (null means "unknown prompt": 404 with an error body), counts requests in total and per prompt, records the
/// Authorization headers it saw, and injects latency and faults as <see cref="FakeServerOptions"/> says.
/// Usage is reported as whitespace-separated word counts of the messages and of the completion.
/// </summary>
public sealed class FakeChatCompletionsServer : IAsyncDisposable, IDisposable
{
    private readonly WebApplication app;
    private readonly Func<FakeChatRequest, string?> responder;
    private readonly FakeServerOptions options;
    private readonly ConcurrentDictionary<string, int> perPrompt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> authorizations = new();
    private readonly ConcurrentQueue<FakeChatRequest> requests = new();
    private readonly Random random;
    private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Lock randomLock = new();
    private int requestCount;
    private int completionCount;
    private int nextId;
    private int inFlight;
    private int maxInFlight;

    private FakeChatCompletionsServer(WebApplication app, Func<FakeChatRequest, string?> responder, FakeServerOptions options)
    {
        this.app = app;
        this.responder = responder;
        this.options = options;
        random = new Random(options.Seed);
        Batches = new FakeBatchApi(this, responder, options);
    }

    /// <summary>The Files + Batches endpoints (<c>/v1/files</c>, <c>/v1/batches</c>): their counters and switches.</summary>
    public FakeBatchApi Batches { get; }

    /// <summary>The API base to give a client, e.g. <c>http://127.0.0.1:PORT/v1</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Requests received on any path, faults and rejections included.</summary>
    public int RequestCount => Volatile.Read(ref requestCount);

    /// <summary>Requests answered with a completion (200 and a valid body).</summary>
    public int CompletionCount => Volatile.Read(ref completionCount);

    /// <summary>The most chat requests the server was handling at one moment (latency included).</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref maxInFlight);

    /// <summary>Chat requests per distinct last user message.</summary>
    public IReadOnlyDictionary<string, int> RequestsPerPrompt => new Dictionary<string, int>(perPrompt, StringComparer.Ordinal);

    /// <summary>Every Authorization header value received, in order (empty string when absent).</summary>
    public IReadOnlyList<string> AuthorizationHeaders => [.. authorizations];

    /// <summary>Every well-formed chat request received, in order.</summary>
    public IReadOnlyList<FakeChatRequest> Requests => [.. requests];

    /// <summary>How many chat requests carried <paramref name="userPrompt"/> as their last user message.</summary>
    public int RequestsFor(string userPrompt) => perPrompt.TryGetValue(userPrompt, out var n) ? n : 0;

    /// <summary>Starts a server on <c>http://127.0.0.1:0</c> and returns once it listens.</summary>
    /// <param name="responder">The completion text for a request, or <c>null</c> to answer 404 (unknown prompt).</param>
    /// <param name="options">Key, latency and faults; <c>null</c> for the defaults.</param>
    public static async Task<FakeChatCompletionsServer> StartAsync(Func<FakeChatRequest, string?> responder, FakeServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(responder);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeChatCompletionsServer(app, responder, options ?? new FakeServerOptions());
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetService(typeof(IServer)) is IServer s
            ? s.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        server.BaseUri = new Uri(new Uri(address ?? throw new InvalidOperationException("Kestrel reported no address.")), "/v1");
        return server;
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref requestCount);
        var authorization = context.Request.Headers.Authorization.ToString();
        authorizations.Enqueue(authorization);
        if (FakeBatchApi.Serves(context.Request.Path))
        {
            if (authorization != "Bearer " + options.ExpectedApiKey)
            {
                await WriteErrorAsync(context, 401, "Incorrect API key provided.", "invalid_api_key").ConfigureAwait(false);
                return;
            }
            await Batches.HandleAsync(context).ConfigureAwait(false);
            return;
        }
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/v1/chat/completions")
        {
            await WriteErrorAsync(context, 404, $"No route {context.Request.Method} {context.Request.Path}.", "not_found").ConfigureAwait(false);
            return;
        }
        if (authorization != "Bearer " + options.ExpectedApiKey)
        {
            var message = options.EchoAuthorizationInErrors ? $"Incorrect API key provided: '{authorization}'." : "Incorrect API key provided.";
            await WriteErrorAsync(context, 401, message, "invalid_api_key").ConfigureAwait(false);
            return;
        }
        FakeChatRequest request;
        try
        {
            request = await ReadRequestAsync(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            await WriteErrorAsync(context, 400, "The request body is not a chat-completions request: " + e.Message, "invalid_request").ConfigureAwait(false);
            return;
        }
        requests.Enqueue(request);
        var attempt = perPrompt.AddOrUpdate(request.UserPrompt, 1, (_, n) => n + 1);
        // A request counts as in flight until its answer is decided, not until the answer is written: the client may
        // read the answer and send its next request before this handler returns.
        var inFlight = Interlocked.Increment(ref this.inFlight);
        var left = 0;
        void Leave()
        {
            if (Interlocked.Exchange(ref left, 1) == 0)
            {
                Interlocked.Decrement(ref this.inFlight);
            }
        }

        try
        {
            RaiseMax(inFlight);
            await AnswerAsync(context, request, attempt, Leave).ConfigureAwait(false);
        }
        finally
        {
            Leave();
        }
    }

    private void RaiseMax(int inFlight)
    {
        var seen = Volatile.Read(ref maxInFlight);
        while (inFlight > seen && Interlocked.CompareExchange(ref maxInFlight, inFlight, seen) is var was && was != seen)
        {
            seen = was;
        }
    }

    private async Task AnswerAsync(HttpContext context, FakeChatRequest request, int attempt, Action leave)
    {

        if (options.Latency > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(options.Latency, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        leave();
        if (options.RejectResponseFormat && request.ResponseFormat is not null)
        {
            await WriteErrorAsync(context, 400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", "invalid_request_error").ConfigureAwait(false);
            return;
        }
        if (ChooseFault(attempt) is { } fault)
        {
            await WriteFaultAsync(context, fault).ConfigureAwait(false);
            return;
        }
        var text = responder(request);
        if (text is null)
        {
            await WriteErrorAsync(context, 404, "No completion is known for this prompt.", "unknown_prompt").ConfigureAwait(false);
            return;
        }
        // Counted before it is written, so a client that has read it always sees it counted.
        Interlocked.Increment(ref completionCount);
        await WriteCompletionAsync(context, request, text).ConfigureAwait(false);
    }

    private FakeFault? ChooseFault(int attemptOfPrompt)
    {
        if (attemptOfPrompt <= options.FailFirstAttempts)
        {
            return options.FirstAttemptsFault;
        }
        if (options.FaultFraction <= 0 || options.RandomFaults.Count == 0)
        {
            return null;
        }
        lock (randomLock)
        {
            return random.NextDouble() < options.FaultFraction
                ? options.RandomFaults[random.Next(options.RandomFaults.Count)]
                : null;
        }
    }

    private async Task WriteFaultAsync(HttpContext context, FakeFault fault)
    {
        switch (fault)
        {
            case FakeFault.TooManyRequests:
                context.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (options.RetryAfterMilliseconds is { } ms)
                {
                    context.Response.Headers["retry-after-ms"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                await WriteErrorAsync(context, 429, "Rate limit reached. Please try again later.", "rate_limit_exceeded").ConfigureAwait(false);
                break;
            case FakeFault.ServerError:
                await WriteErrorAsync(context, 500, "The server had an error while processing your request.", "server_error").ConfigureAwait(false);
                break;
            case FakeFault.DropConnection:
                context.Abort();
                break;
            case FakeFault.MalformedBody:
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\": \"chatcmpl-broken\", \"object\": \"chat.completion\", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"The answer").ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    private async Task<FakeChatRequest> ReadRequestAsync(HttpContext context)
    {
        using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return ParseRequest(json.RootElement);
    }

    /// <summary>Reads a chat-completions request body.</summary>
    internal FakeChatRequest ParseRequest(JsonElement root)
    {
        var messages = new List<FakeChatMessage>();
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            messages.Add(new FakeChatMessage(message.GetProperty("role").GetString() ?? "", ContentText(message.GetProperty("content"))));
        }
        string? model = root.TryGetProperty("model", out var m) ? m.GetString() : null;
        double? temperature = root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : null;
        int? maxTokens = root.TryGetProperty("max_completion_tokens", out var mct) && mct.ValueKind == JsonValueKind.Number ? mct.GetInt32()
            : root.TryGetProperty("max_tokens", out var mt) && mt.ValueKind == JsonValueKind.Number ? mt.GetInt32()
            : null;
        return new FakeChatRequest(model, messages, temperature, maxTokens, clock.Elapsed)
        {
            ResponseFormat = root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object ? format.GetRawText() : null,
        };
    }

    /// <summary>Message content is a string, or an array of parts of which the text parts count.</summary>
    private static string ContentText(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString() ?? "",
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.TryGetProperty("type", out var type) && type.GetString() == "text")
            .Select(p => p.GetProperty("text").GetString())),
        _ => throw new InvalidOperationException($"Message content of kind {content.ValueKind} is not supported."),
    };

    private async Task WriteCompletionAsync(HttpContext context, FakeChatRequest request, string text)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(CompletionBody(request, text))).ConfigureAwait(false);
    }

    /// <summary>A chat-completions response body; usage is the word counts of the messages and of the completion.</summary>
    internal object CompletionBody(FakeChatRequest request, string text)
    {
        var promptTokens = request.Messages.Sum(m => WordCount(m.Content));
        var completionTokens = WordCount(text);
        return new
        {
            id = "chatcmpl-" + Interlocked.Increment(ref nextId),
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = request.Model ?? "fake-model",
            choices = new[]
            {
                new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" },
            },
            usage = options.ReportUsage ? new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens } : null,
        };
    }

    internal static async Task WriteErrorAsync(HttpContext context, int status, string message, string code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var type = status >= 500 ? "server_error" : "invalid_request_error";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { message, type, param = (string?)null, code } })).ConfigureAwait(false);
    }

    /// <summary>The server's stand-in for a token count: whitespace-separated words.</summary>
    public static int WordCount(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
