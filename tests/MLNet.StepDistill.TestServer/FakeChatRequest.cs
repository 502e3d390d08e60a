namespace MLNet.StepDistill.TestServer;

/// <summary>One chat message of a request the fake server received.</summary>
/// <param name="Role">system, user or assistant.</param>
/// <param name="Content">The message text.</param>
public sealed record FakeChatMessage(string Role, string Content);

/// <summary>A chat-completions request as the fake server read it off the wire.</summary>
/// <param name="Model">The <c>model</c> field.</param>
/// <param name="Messages">The <c>messages</c> field.</param>
/// <param name="Temperature">The <c>temperature</c> field, when sent.</param>
/// <param name="MaxTokens">The <c>max_completion_tokens</c> (or older <c>max_tokens</c>) field, when sent.</param>
/// <param name="ReceivedAt">When the request arrived, counted from the server's start.</param>
public sealed record FakeChatRequest(string? Model, IReadOnlyList<FakeChatMessage> Messages, double? Temperature, int? MaxTokens, TimeSpan ReceivedAt)
{
    /// <summary>The last user message: what the server counts requests by.</summary>
    public string UserPrompt => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";

    /// <summary>The <c>response_format</c> field as JSON text (e.g. a <c>json_schema</c>), when sent; else null.</summary>
    public string? ResponseFormat { get; init; }

    /// <summary>The system message, when there is one.</summary>
    public string? SystemPrompt => Messages.FirstOrDefault(m => m.Role == "system")?.Content;
}
