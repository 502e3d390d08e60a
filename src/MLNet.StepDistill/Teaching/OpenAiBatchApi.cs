using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

// The OpenAI SDK marks its batch client experimental (a protocol-level API: JSON in, JSON out); we read and write
// the documented wire format ourselves.
#pragma warning disable OPENAI001

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The OpenAI Files + Batches endpoints through the official SDK's <see cref="OpenAIFileClient"/> and
/// <see cref="BatchClient"/>: upload a JSONL of chat-completions requests (<c>purpose=batch</c>), create a batch,
/// read its state, download its output and error files. Owns no state beyond the clients.
/// </summary>
internal sealed class OpenAiBatchApi
{
    private readonly OpenAIFileClient _files;
    private readonly BatchClient _batches;
    private readonly string _secret;

    public OpenAiBatchApi(Uri endpoint, string model, string apiKey)
    {
        // The SDK's default retry policy (3 retries with backoff on 429, 5xx and broken connections) suits these few
        // control calls; 401 and 404 are not retried.
        var client = new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = endpoint });
        _files = client.GetOpenAIFileClient();
        _batches = client.GetBatchClient();
        Endpoint = endpoint;
        Model = model;
        _secret = apiKey;
    }

    public Uri Endpoint { get; }

    public string Model { get; }

    /// <summary>One line of a batch input file: a chat-completions request with the same fields live calls send.</summary>
    public string RequestLine(string customId, TeacherPrompt prompt, TeacherSampling sampling, string url)
    {
        var messages = new JsonArray();
        if (!string.IsNullOrEmpty(prompt.System))
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = prompt.System });
        }
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = prompt.User });
        var line = new JsonObject
        {
            ["custom_id"] = customId,
            ["method"] = "POST",
            ["url"] = url,
            ["body"] = new JsonObject
            {
                ["model"] = Model,
                ["messages"] = messages,
                ["temperature"] = sampling.Temperature,
                ["max_completion_tokens"] = sampling.MaxOutputTokens,
            },
        };
        if (prompt.ResponseSchema is { } schema)
        {
            line["body"]!["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = ChatClientTeacher.ResponseSchemaName, ["schema"] = JsonNode.Parse(schema), ["strict"] = true },
            };
        }
        return line.ToJsonString();
    }

    public async Task<string> UploadAsync(BinaryData jsonl, string fileName, CancellationToken cancellationToken)
    {
        OpenAIFile file = await _files.UploadFileAsync(jsonl, fileName, FileUploadPurpose.Batch).WaitAsync(cancellationToken).ConfigureAwait(false);
        return file.Id;
    }

    public async Task<string> CreateAsync(string inputFileId, string url, string completionWindow, string job, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["input_file_id"] = inputFileId,
            ["endpoint"] = url,
            ["completion_window"] = completionWindow,
            ["metadata"] = new JsonObject { ["stepdistill_job"] = job },
        };
        var operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(body.ToJsonString())), waitUntilCompleted: false,
            new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        using var json = JsonDocument.Parse(operation.GetRawResponse().Content);
        return json.RootElement.GetProperty("id").GetString() ?? throw new JsonException("The batch the provider created has no id.");
    }

    public async Task<ProviderBatchState> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(_batches, batchId, cancellationToken).ConfigureAwait(false);
        using var json = JsonDocument.Parse(operation.GetRawResponse().Content);
        var root = json.RootElement;
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string? errors = null;
        if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            errors = string.Join("; ", data.EnumerateArray().Select(d => d.TryGetProperty("message", out var m) ? m.GetString() : d.ToString()));
        }
        return new ProviderBatchState(Text("status") ?? "unknown", Text("output_file_id"), Text("error_file_id"), errors);
    }

    public async Task<string> DownloadAsync(string fileId, CancellationToken cancellationToken)
    {
        var content = await _files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        return content.Value.ToString();
    }

    public string Redact(string text) => text.Replace(_secret, "***", StringComparison.Ordinal);
}

/// <summary>What the provider says about one batch.</summary>
/// <param name="Status">validating, in_progress, finalizing, completed, failed, expired, cancelling or cancelled.</param>
/// <param name="OutputFileId">The file of successful results, once there is one.</param>
/// <param name="ErrorFileId">The file of failed requests, once there is one.</param>
/// <param name="Errors">Why the whole batch failed (validation errors), when it did.</param>
internal sealed record ProviderBatchState(string Status, string? OutputFileId, string? ErrorFileId, string? Errors)
{
    public bool IsTerminal => Status is "completed" or "failed" or "expired" or "cancelled";
}
