using Microsoft.Extensions.AI;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A teacher over any <see cref="IChatClient"/> (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp ...): the prompt
/// becomes an optional system message and a user message, the sampling becomes <see cref="ChatOptions"/>, and every
/// request runs through the retry, timeout and rate limits of <see cref="TeacherCallOptions"/>.
/// For <see cref="TeacherSampling.Samples"/> above one it makes that many independent requests (the limits apply to each).
/// </summary>
public sealed class ChatClientTeacher : ITeacher, IDisposable
{
    private readonly IChatClient client;
    private readonly string? modelId;
    private readonly TeacherResilience resilience;
    private readonly bool ownsClient;
    private readonly string? secret;
    private volatile bool anySucceeded;
    private volatile bool askedForSchema;

    /// <summary>The name the JSON schema of a structured completion has in requests.</summary>
    internal const string ResponseSchemaName = "teacher_answer";

    /// <summary>Creates a teacher over a chat client the caller owns (and disposes).</summary>
    /// <param name="chatClient">The chat client; its own retries, if any, add to ours.</param>
    /// <param name="modelId">The model to ask for, or <c>null</c> for the client's default model.</param>
    /// <param name="cacheIdentity">
    /// What identifies this teacher's answers in a cache, or <c>null</c> to build one from the client's
    /// <see cref="ChatClientMetadata"/> (provider, endpoint, model). Must not hold a secret.
    /// </param>
    /// <param name="options">Retries, timeouts and limits; <c>null</c> for the defaults.</param>
    public ChatClientTeacher(IChatClient chatClient, string? modelId = null, string? cacheIdentity = null, TeacherCallOptions? options = null)
        : this(chatClient, modelId, cacheIdentity, options, ownsClient: false, secret: null)
    {
    }

    internal ChatClientTeacher(IChatClient chatClient, string? modelId, string? cacheIdentity, TeacherCallOptions? options, bool ownsClient, string? secret, Uri? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        client = chatClient;
        this.modelId = modelId;
        Options = options ?? new TeacherCallOptions();
        resilience = new TeacherResilience(Options, e => TeacherFailure.Of(e).IsFatal(anySucceeded));
        this.ownsClient = ownsClient;
        this.secret = string.IsNullOrEmpty(secret) ? null : secret;
        CacheIdentity = cacheIdentity ?? IdentityFromMetadata(chatClient, modelId);
        var metadata = chatClient.GetService<ChatClientMetadata>();
        Endpoint = endpoint ?? metadata?.ProviderUri;
        Model = modelId ?? metadata?.DefaultModelId ?? "(the client's default)";
    }

    /// <summary>The server's address, when known (never holds a secret beyond what the caller put in the URL).</summary>
    internal Uri? Endpoint { get; }

    /// <summary>The model asked for.</summary>
    internal string Model { get; }

    /// <summary>The provider batch API this teacher can also use (see <see cref="RationaleAnnotatorOptions.Batch"/>), or <c>null</c>.</summary>
    internal OpenAiBatchApi? BatchApi => batchApi?.Value;

    /// <summary>Builds <see cref="BatchApi"/> on first use (live-only runs never make its clients).</summary>
    internal Lazy<OpenAiBatchApi>? BatchApiFactory
    {
        init => batchApi = value;
    }

    private readonly Lazy<OpenAiBatchApi>? batchApi;

    /// <summary>The sampling fields of one request, as the provider's chat-completions body names them (batch files reuse it).</summary>
    internal ChatOptions ChatOptionsFor(TeacherSampling sampling) => new()
    {
        ModelId = modelId,
        Temperature = sampling.Temperature,
        MaxOutputTokens = sampling.MaxOutputTokens,
    };

    /// <inheritdoc />
    public string CacheIdentity { get; }

    /// <summary>The retry, timeout and limit settings this teacher runs with.</summary>
    public TeacherCallOptions Options { get; }

    /// <summary>
    /// Builds a cache identity <c>kind|endpoint|model</c>, e.g. <c>openai-compatible|https://api.openai.com/v1|gpt-4o-mini</c>.
    /// User info, query and fragment are dropped from the endpoint so no credential ends up in a cache. A loopback
    /// endpoint (<c>localhost</c>, <c>127.x.x.x</c>, <c>::1</c>) becomes <c>http://localhost/...</c> without its port, so
    /// the same local model behind a restarted server on another port (vLLM, llama.cpp, Ollama) keeps its cached answers.
    /// <paramref name="teacherId"/>, when given, replaces the endpoint part altogether: name one model served behind
    /// several URLs (or two different models behind one URL and name) yourself. The generation settings (system and user
    /// prompt, temperature, max output tokens, sample index) are part of every cache key besides this identity.
    /// </summary>
    /// <param name="endpointKind">The kind of server, e.g. <c>openai-compatible</c> or <c>ollama</c>.</param>
    /// <param name="endpoint">The server's base address, when there is one.</param>
    /// <param name="modelId">The model id.</param>
    /// <param name="teacherId">Your own name for the endpoint (e.g. <c>lab-vllm</c>), or <c>null</c> to derive it from <paramref name="endpoint"/>.</param>
    public static string BuildCacheIdentity(string endpointKind, Uri? endpoint, string modelId, string? teacherId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointKind);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        if (teacherId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(teacherId);
            return $"{endpointKind}|id:{teacherId.Trim()}|{modelId}";
        }
        var where = endpoint is null
            ? ""
            : endpoint.IsAbsoluteUri
                ? EndpointIdentity(endpoint)
                : endpoint.OriginalString.Split('?', '#')[0].TrimEnd('/');
        return $"{endpointKind}|{where}|{modelId}";
    }

    private static string EndpointIdentity(Uri endpoint)
    {
        if (!endpoint.IsLoopback)
        {
            return endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        }
        return (endpoint.Scheme + "://localhost" + endpoint.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped)).TrimEnd('/');
    }

    /// <inheritdoc />
    /// <exception cref="TeacherCallFailedException">A request failed for good (retries spent, or a non-retryable answer).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.Samples, 1, nameof(sampling.Samples));
        if (sampling.Samples == 1)
        {
            return [await CompleteOnceAsync(prompt, sampling, cancellationToken).ConfigureAwait(false)];
        }
        var samples = new Task<TeacherCompletion>[sampling.Samples];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = CompleteOnceAsync(prompt, sampling, cancellationToken);
        }
        return await Task.WhenAll(samples).ConfigureAwait(false);
    }

    /// <summary>Releases the limiters, and the chat client when this teacher created it.</summary>
    public void Dispose()
    {
        resilience.Dispose();
        if (ownsClient)
        {
            client.Dispose();
        }
    }

    private async Task<TeacherCompletion> CompleteOnceAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        var attempts = new AttemptCounter();
        try
        {
            return await resilience.Pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    state.attempts.Count++;
                    return await state.self.SendAsync(state.prompt, state.sampling, token).ConfigureAwait(false);
                },
                (self: this, prompt, sampling, attempts),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Failed(e, attempts.Count);
        }
    }

    private async Task<TeacherCompletion> SendAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        List<ChatMessage> messages = [];
        if (!string.IsNullOrEmpty(prompt.System))
        {
            messages.Add(new ChatMessage(ChatRole.System, prompt.System));
        }
        messages.Add(new ChatMessage(ChatRole.User, prompt.User));
        var options = ChatOptionsFor(sampling);
        if (prompt.ResponseSchema is { } schema)
        {
            using var document = System.Text.Json.JsonDocument.Parse(schema);
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(document.RootElement.Clone(), ResponseSchemaName, "The teacher's rationale and label.");
            askedForSchema = true;
        }

        var response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        anySucceeded = true;
        return new TeacherCompletion(response.Text, ToInt(response.Usage?.InputTokenCount), ToInt(response.Usage?.OutputTokenCount));
    }

    private TeacherCallFailedException Failed(Exception last, int attempts)
    {
        var failure = TeacherFailure.Of(last);
        var inner = secret is not null && last.ToString().Contains(secret, StringComparison.Ordinal) ? null : last;
        if (askedForSchema && !anySucceeded && failure.Status is 400 or 415 or 422)
        {
            var endpoint = Endpoint is { } uri ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(the chat client's endpoint)";
            var said = string.Join(' ', last.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            var rejected = Redact($"The teacher rejected the JSON schema response format: endpoint {endpoint}, model {Model}, HTTP {failure.Status}. This server or model does not accept a response_format with a JSON schema: drop --response-format json (RationaleAnnotatorOptions.ResponseFormat = Text) and the completions are read as text. The server said: {said}");
            return new TeacherCallFailedException(rejected, attempts, failure.Status, inner) { TeacherUnreachable = true };
        }

        if (failure.IsFatal(anySucceeded))
        {
            var endpoint = Endpoint is { } uri ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(the chat client's endpoint)";
            var status = failure.Status is { } code ? $"HTTP {code}" : failure.Reason;
            var said = failure.Status is null ? "" : $" The server said: {string.Join(' ', last.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))}";
            var fatal = Redact($"The teacher cannot be reached: endpoint {endpoint}, model {Model}, {status}. {failure.WhatToCheck(endpoint, Model)}.{said}");
            return new TeacherCallFailedException(fatal, attempts, failure.Status, inner) { TeacherUnreachable = true };
        }
        var verdict = failure.Retryable ? "retries spent" : "not retryable";
        var message = Redact($"Teacher call to {CacheIdentity} failed after {attempts} attempt(s) ({verdict}): {failure.Reason}. {last.Message}");
        return new TeacherCallFailedException(message, attempts, failure.Status, inner);
    }

    private string Redact(string text) => secret is null ? text : text.Replace(secret, "***", StringComparison.Ordinal);

    private static string IdentityFromMetadata(IChatClient client, string? modelId)
    {
        var metadata = client.GetService<ChatClientMetadata>();
        var model = modelId ?? metadata?.DefaultModelId
            ?? throw new ArgumentException("The chat client names no default model: pass modelId or cacheIdentity.", nameof(modelId));
        return BuildCacheIdentity(metadata?.ProviderName ?? "chat-client", metadata?.ProviderUri, model);
    }

    private static int? ToInt(long? count) => count is { } n ? (int)Math.Min(n, int.MaxValue) : null;

    private sealed class AttemptCounter
    {
        public int Count;
    }
}
