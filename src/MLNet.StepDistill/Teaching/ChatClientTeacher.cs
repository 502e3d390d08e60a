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
    private readonly IChatClient _client;
    private readonly string? _modelId;
    private readonly TeacherResilience _resilience;
    private readonly bool _ownsClient;
    private readonly string? _secret;

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

    internal ChatClientTeacher(IChatClient chatClient, string? modelId, string? cacheIdentity, TeacherCallOptions? options, bool ownsClient, string? secret)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _client = chatClient;
        _modelId = modelId;
        Options = options ?? new TeacherCallOptions();
        _resilience = new TeacherResilience(Options);
        _ownsClient = ownsClient;
        _secret = string.IsNullOrEmpty(secret) ? null : secret;
        CacheIdentity = cacheIdentity ?? IdentityFromMetadata(chatClient, modelId);
    }

    /// <inheritdoc />
    public string CacheIdentity { get; }

    /// <summary>The retry, timeout and limit settings this teacher runs with.</summary>
    public TeacherCallOptions Options { get; }

    /// <summary>
    /// Builds a cache identity <c>kind|endpoint|model</c>, e.g. <c>openai-compatible|http://host/v1|gpt-4o-mini</c>.
    /// User info, query and fragment are dropped from the endpoint so no credential ends up in a cache.
    /// </summary>
    /// <param name="endpointKind">The kind of server, e.g. <c>openai-compatible</c> or <c>ollama</c>.</param>
    /// <param name="endpoint">The server's base address, when there is one.</param>
    /// <param name="modelId">The model id.</param>
    public static string BuildCacheIdentity(string endpointKind, Uri? endpoint, string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpointKind);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        var where = endpoint is null
            ? ""
            : endpoint.IsAbsoluteUri
                ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/')
                : endpoint.OriginalString.Split('?', '#')[0].TrimEnd('/');
        return $"{endpointKind}|{where}|{modelId}";
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
        _resilience.Dispose();
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private async Task<TeacherCompletion> CompleteOnceAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        var attempts = new AttemptCounter();
        try
        {
            return await _resilience.Pipeline.ExecuteAsync(
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
        var options = new ChatOptions
        {
            ModelId = _modelId,
            Temperature = sampling.Temperature,
            MaxOutputTokens = sampling.MaxOutputTokens,
        };
        var response = await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        return new TeacherCompletion(response.Text, ToInt(response.Usage?.InputTokenCount), ToInt(response.Usage?.OutputTokenCount));
    }

    private TeacherCallFailedException Failed(Exception last, int attempts)
    {
        var failure = TeacherFailure.Of(last);
        var verdict = failure.Retryable ? "retries spent" : "not retryable";
        var message = Redact($"Teacher call to {CacheIdentity} failed after {attempts} attempt(s) ({verdict}): {failure.Reason}. {last.Message}");
        var inner = _secret is not null && last.ToString().Contains(_secret, StringComparison.Ordinal) ? null : last;
        return new TeacherCallFailedException(message, attempts, failure.Status, inner);
    }

    private string Redact(string text) => _secret is null ? text : text.Replace(_secret, "***", StringComparison.Ordinal);

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
