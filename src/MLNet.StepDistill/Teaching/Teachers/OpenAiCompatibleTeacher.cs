using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Builds a <see cref="ChatClientTeacher"/> for any server that speaks the OpenAI chat-completions API
/// (OpenAI, vLLM, llama.cpp server, Ollama's <c>/v1</c>, LM Studio ...), through the OpenAI SDK.
/// </summary>
public static class OpenAiCompatibleTeacher
{
    /// <summary>The endpoint kind in cache identities of teachers made here.</summary>
    public const string EndpointKind = "openai-compatible";

    /// <summary>
    /// Creates a teacher that posts to <c>{endpoint}/chat/completions</c>. The SDK's own retries and network timeout
    /// are switched off so <paramref name="options"/> alone decide retries and timeouts. The cache identity is
    /// <c>openai-compatible|{endpoint}|{model}</c> (a loopback endpoint without its port, see
    /// <see cref="ChatClientTeacher.BuildCacheIdentity"/>), or <c>openai-compatible|id:{teacherId}|{model}</c>; the API key is
    /// never part of it, nor of any message this teacher writes.
    /// </summary>
    /// <param name="endpoint">The API base, e.g. <c>https://api.openai.com/v1</c> or <c>http://localhost:8000/v1</c>.</param>
    /// <param name="model">The model id the server knows.</param>
    /// <param name="apiKey">The bearer key; local servers that ignore it still need a non-empty string (e.g. <c>"none"</c>).</param>
    /// <param name="options">Retries, timeouts and limits; <c>null</c> for the defaults.</param>
    /// <param name="teacherId">Your name for the endpoint in cache keys (the same model behind several URLs), or <c>null</c> to derive it from <paramref name="endpoint"/>.</param>
    /// <returns>A teacher that owns its client: dispose it when done.</returns>
    public static ChatClientTeacher Create(Uri endpoint, string model, string apiKey, TeacherCallOptions? options = null, string? teacherId = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException($"The teacher endpoint must be an absolute URI, got '{endpoint.OriginalString}'.", nameof(endpoint));
        }
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        var chatClient = new ChatClient(model, new ApiKeyCredential(apiKey), clientOptions).AsIChatClient();
        var identity = ChatClientTeacher.BuildCacheIdentity(EndpointKind, endpoint, model, teacherId);
        return new ChatClientTeacher(chatClient, model, identity, options, ownsClient: true, secret: apiKey, endpoint)
        {
            BatchApiFactory = new Lazy<OpenAiBatchApi>(() => new OpenAiBatchApi(endpoint, model, apiKey)),
        };
    }
}
