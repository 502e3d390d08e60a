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
    private readonly OpenAIFileClient files;
    private readonly BatchClient batches;
    private readonly string secret;

    public OpenAiBatchApi(Uri endpoint, string model, string apiKey)
    {
        // The SDK's default retry policy (3 retries with backoff on 429, 5xx and broken connections) suits these few
        // control calls; 401 and 404 are not retried.
        var client = new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = endpoint });
        files = client.GetOpenAIFileClient();
        batches = client.GetBatchClient();
        Endpoint = endpoint;
        Model = model;
        secret = apiKey;
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
        OpenAIFile file = await files.UploadFileAsync(jsonl, fileName, FileUploadPurpose.Batch).WaitAsync(cancellationToken).ConfigureAwait(false);
        return file.Id;
    }

    public async Task<string> CreateAsync(string inputFileId, string url, string completionWindow, string job, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["input_file_id"] = inputFileId,
            ["endpoint"] = url,
            ["completion_window"] = completionWindow,
            ["metadata"] = new JsonObject { [JobMetadata] = job },
        };
        var operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(body.ToJsonString())), waitUntilCompleted: false,
            new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        using var json = JsonDocument.Parse(operation.GetRawResponse().Content);
        return json.RootElement.GetProperty("id").GetString() ?? throw new JsonException("The batch the provider created has no id.");
    }

    public async Task<ProviderBatchState> GetAsync(string batchId, CancellationToken cancellationToken)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(batches, batchId, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The provider's batches created since <paramref name="since"/>, newest first (<c>GET /v1/batches</c>, 100 a page,
    /// paged until a batch older than that or 50 pages): how a restarted run finds the batch a killed one created.
    /// </summary>
    public async Task<IReadOnlyList<ProviderBatch>> ListBatchesAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var batches = new List<ProviderBatch>();
        string? after = null;
        for (var page = 0; page < 50; page++)
        {
            var (items, hasMore) = await FirstPageAsync(this.batches.GetBatchesAsync(after, 100, new RequestOptions { CancellationToken = cancellationToken }), cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                var metadata = item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                batches.Add(new ProviderBatch(
                    item.GetProperty("id").GetString()!,
                    metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(JobMetadata, out var job) && job.ValueKind == JsonValueKind.String ? job.GetString() : null,
                    StringOf(item, "status") ?? "unknown",
                    StringOf(item, "input_file_id"),
                    CreatedAt(item)));
            }
            if (!hasMore || items.Count == 0 || batches[^1].CreatedAt < since)
            {
                break;
            }
            after = batches[^1].Id;
        }
        return batches;
    }

    /// <summary>
    /// The provider's files of <paramref name="purpose"/> uploaded since <paramref name="since"/>, newest first
    /// (<c>GET /v1/files</c>): how a restarted run finds an input file whose upload a killed one never saw answered.
    /// </summary>
    public async Task<IReadOnlyList<ProviderFile>> ListFilesAsync(string purpose, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var files = new List<ProviderFile>();
        string? after = null;
        for (var page = 0; page < 50; page++)
        {
            var result = await this.files.GetFilesAsync(purpose, 10_000, "desc", after, new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
            using var json = JsonDocument.Parse(result.GetRawResponse().Content);
            var root = json.RootElement;
            var count = 0;
            foreach (var item in root.GetProperty("data").EnumerateArray())
            {
                files.Add(new ProviderFile(item.GetProperty("id").GetString()!, StringOf(item, "filename"), CreatedAt(item)));
                count++;
            }
            var hasMore = root.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
            if (!hasMore || count == 0 || files[^1].CreatedAt < since)
            {
                break;
            }
            after = files[^1].Id;
        }
        return files;
    }

    /// <summary>Whether the provider still has the file (<c>GET /v1/files/{id}</c>; false on 404).</summary>
    public async Task<bool> FileExistsAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            await files.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ClientResultException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Deletes a file from the provider (<c>DELETE /v1/files/{id}</c>).</summary>
    public async Task DeleteFileAsync(string fileId, CancellationToken cancellationToken) =>
        await files.DeleteFileAsync(fileId, cancellationToken).ConfigureAwait(false);

    public async Task<string> DownloadAsync(string fileId, CancellationToken cancellationToken)
    {
        var content = await files.DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        return content.Value.ToString();
    }

    public string Redact(string text) => text.Replace(secret, "***", StringComparison.Ordinal);

    /// <summary>The batch metadata key that carries our job id.</summary>
    public const string JobMetadata = "stepdistill_job";

    /// <summary>One page of a list endpoint (the SDK pages on; we read the first and page ourselves, so we can stop early).</summary>
    private static async Task<(List<JsonElement> Items, bool HasMore)> FirstPageAsync(AsyncCollectionResult pages, CancellationToken cancellationToken)
    {
        await foreach (var page in pages.GetRawPagesAsync().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            using var json = JsonDocument.Parse(page.GetRawResponse().Content);
            var root = json.RootElement;
            var items = root.GetProperty("data").EnumerateArray().Select(e => e.Clone()).ToList();
            return (items, root.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True);
        }
        return ([], false);
    }

    private static string? StringOf(JsonElement item, string name) =>
        item.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset CreatedAt(JsonElement item) =>
        item.TryGetProperty("created_at", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.MaxValue;   // unknown: never the reason to stop paging
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

/// <summary>One batch of the provider's list.</summary>
/// <param name="Id">The provider's batch id.</param>
/// <param name="Job">Our job id (metadata <c>stepdistill_job</c>), when the batch carries one.</param>
/// <param name="Status">Its status.</param>
/// <param name="InputFileId">Its input file.</param>
/// <param name="CreatedAt">When the provider created it.</param>
internal sealed record ProviderBatch(string Id, string? Job, string Status, string? InputFileId, DateTimeOffset CreatedAt);

/// <summary>One file of the provider's list.</summary>
/// <param name="Id">The provider's file id.</param>
/// <param name="FileName">The name it was uploaded with.</param>
/// <param name="CreatedAt">When it was uploaded.</param>
internal sealed record ProviderFile(string Id, string? FileName, DateTimeOffset CreatedAt);
