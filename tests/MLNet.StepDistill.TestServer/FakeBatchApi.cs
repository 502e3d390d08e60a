using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MLNet.StepDistill.TestServer;

/// <summary>
/// The OpenAI Files and Batches endpoints of the fake server, in OpenAI's wire format: <c>POST /v1/files</c>
/// (multipart, <c>purpose=batch</c>), <c>GET /v1/files</c> (newest first; <c>purpose</c>, <c>limit</c>, <c>after</c>),
/// <c>GET /v1/files/{id}</c> and <c>/content</c>, <c>DELETE /v1/files/{id}</c>, <c>POST /v1/batches</c> (keeping its
/// <c>metadata</c>), <c>GET /v1/batches</c> (newest first; <c>limit</c>, <c>after</c>), <c>GET /v1/batches/{id}</c>
/// and <c>POST /v1/batches/{id}/cancel</c>. Each status read moves a batch one step (validating, in_progress,
/// finalizing) until it ends as <see cref="FakeServerOptions.BatchOutcome"/> says; then its requests are answered with
/// the server's responder into an output file (status 200 lines) and an error file (failed requests, expired or
/// cancelled ones). <see cref="Hold"/> keeps batches in progress; <see cref="Stall"/> holds one kind of request at one
/// stage, until the client goes away or the stall is lifted, so a test can kill the client there.
/// </summary>
public sealed class FakeBatchApi
{
    private readonly FakeChatCompletionsServer server;
    private readonly Func<FakeChatRequest, string?> responder;
    private readonly FakeServerOptions options;
    private readonly ConcurrentDictionary<string, (string Name, string Purpose, byte[] Content, long CreatedAt, int Order)> files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Batch> batches = new(StringComparer.Ordinal);
    private int nextFile;
    private int nextBatch;
    private int batchesCreated;
    private int filesUploaded;
    private int requestsAnswered;
    private int requestsFailed;
    private int statusReads;
    private int filesDeleted;
    private int stalled;

    internal FakeBatchApi(FakeChatCompletionsServer server, Func<FakeChatRequest, string?> responder, FakeServerOptions options)
    {
        this.server = server;
        this.responder = responder;
        this.options = options;
    }

    /// <summary>While true, batches stay <c>in_progress</c> however often they are read. Default false.</summary>
    public bool Hold { get; set; }

    /// <summary>
    /// Where requests wait: the request of that stage is held there (after or before its effect, as the stage says)
    /// until the client disconnects or this is set back to <see cref="FakeBatchStall.None"/>. Default none.
    /// </summary>
    public FakeBatchStall Stall { get; set; }

    /// <summary>How long after its client went away a <see cref="FakeBatchStall.CreateLate"/> batch is made. Default 3 seconds.</summary>
    public TimeSpan LateCreateDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Requests waiting at <see cref="Stall"/> now.</summary>
    public int Stalled => Volatile.Read(ref stalled);

    /// <summary>Batches created.</summary>
    public int BatchesCreated => Volatile.Read(ref batchesCreated);

    /// <summary>Uploaded files (<c>purpose=batch</c>) the server still holds: uploads less deletions.</summary>
    public int InputFileCount => files.Values.Count(f => f.Purpose == "batch");

    /// <summary>Files deleted (<c>DELETE /v1/files/{id}</c>).</summary>
    public int FilesDeleted => Volatile.Read(ref filesDeleted);

    /// <summary>Files uploaded.</summary>
    public int FilesUploaded => Volatile.Read(ref filesUploaded);

    /// <summary>Requests inside batches answered with a completion.</summary>
    public int RequestsAnswered => Volatile.Read(ref requestsAnswered);

    /// <summary>Requests inside batches that failed, expired or were cancelled.</summary>
    public int RequestsFailed => Volatile.Read(ref requestsFailed);

    /// <summary>Status reads of batches (<c>GET /v1/batches/{id}</c>).</summary>
    public int StatusReads => Volatile.Read(ref statusReads);

    /// <summary>Every request line of every batch input file, in upload order.</summary>
    public IReadOnlyList<FakeChatRequest> Requests => [.. batches.Values.OrderBy(b => b.Created).SelectMany(b => b.Requests.Select(r => r.Request))];

    internal static bool Serves(PathString path) =>
        path.StartsWithSegments("/v1/files", StringComparison.Ordinal) || path.StartsWithSegments("/v1/batches", StringComparison.Ordinal);

    internal async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var parts = request.Path.Value!.Trim('/').Split('/');   // v1, files|batches, id?, content|cancel?
        try
        {
            switch (parts.Length, parts[1], request.Method)
            {
                case (2, "files", "POST"):
                    await UploadAsync(context).ConfigureAwait(false);
                    return;
                case (2, "files", "GET"):
                    await ListFilesAsync(context).ConfigureAwait(false);
                    return;
                case (3, "files", "GET"):
                    await WriteFileObjectAsync(context, parts[2]).ConfigureAwait(false);
                    return;
                case (3, "files", "DELETE"):
                    await DeleteFileAsync(context, parts[2]).ConfigureAwait(false);
                    return;
                case (4, "files", "GET") when parts[3] == "content":
                    await WriteContentAsync(context, parts[2]).ConfigureAwait(false);
                    return;
                case (2, "batches", "POST"):
                    await CreateAsync(context).ConfigureAwait(false);
                    return;
                case (2, "batches", "GET"):
                    await ListBatchesAsync(context).ConfigureAwait(false);
                    return;
                case (3, "batches", "GET"):
                    await ReadAsync(context, parts[2], advance: true).ConfigureAwait(false);
                    return;
                case (4, "batches", "POST") when parts[3] == "cancel":
                    if (batches.TryGetValue(parts[2], out var cancelled))
                    {
                        lock (cancelled)
                        {
                            if (!cancelled.IsTerminal)
                            {
                                Finish(cancelled, "cancelled");
                            }
                        }
                    }
                    await ReadAsync(context, parts[2], advance: false).ConfigureAwait(false);
                    return;
                default:
                    await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No route {request.Method} {request.Path}.", "not_found").ConfigureAwait(false);
                    return;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or InvalidDataException)
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 400, "Bad request: " + e.Message, "invalid_request").ConfigureAwait(false);
        }
    }

    /// <summary>Holds the request while <see cref="Stall"/> is <paramref name="stage"/>; false when the client went away meanwhile.</summary>
    private async Task<bool> WaitAtAsync(FakeBatchStall stage, HttpContext context)
    {
        if (Stall != stage)
        {
            return true;
        }
        Interlocked.Increment(ref stalled);
        try
        {
            while (Stall == stage && !context.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
            }
            return !context.RequestAborted.IsCancellationRequested;
        }
        finally
        {
            Interlocked.Decrement(ref stalled);
        }
    }

    private async Task UploadAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var purpose = form["purpose"].ToString();
        var file = form.Files.GetFile("file") ?? throw new InvalidOperationException("no 'file' part");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        if (!await WaitAtAsync(FakeBatchStall.Upload, context).ConfigureAwait(false))
        {
            return;   // the client is gone before the file was stored
        }
        var order = Interlocked.Increment(ref nextFile);
        var id = "file-" + order;
        files[id] = (file.FileName, purpose, buffer.ToArray(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), order);
        Interlocked.Increment(ref filesUploaded);
        if (!await WaitAtAsync(FakeBatchStall.UploadReply, context).ConfigureAwait(false))
        {
            return;   // stored, but the client never hears of it
        }
        await WriteJsonAsync(context, FileObject(id)).ConfigureAwait(false);
    }

    private async Task ListFilesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var purpose = query["purpose"].ToString();
        var files = this.files.Where(f => purpose.Length == 0 || f.Value.Purpose == purpose).OrderByDescending(f => f.Value.Order).Select(f => f.Key).ToList();
        await WriteJsonAsync(context, Page(files, query, 10_000, FileObject)).ConfigureAwait(false);
    }

    private async Task DeleteFileAsync(HttpContext context, string id)
    {
        if (!files.TryRemove(id, out _))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        Interlocked.Increment(ref filesDeleted);
        await WriteJsonAsync(context, new { id, @object = "file", deleted = true }).ConfigureAwait(false);
    }

    private async Task ListBatchesAsync(HttpContext context)
    {
        var batches = this.batches.Values.OrderByDescending(b => b.Order).Select(b => b.Id).ToList();
        await WriteJsonAsync(context, Page(batches, context.Request.Query, 100, id => BatchObject(this.batches[id]))).ConfigureAwait(false);
    }

    /// <summary>One page of a list, OpenAI's way: <c>data</c>, <c>first_id</c>, <c>last_id</c>, <c>has_more</c>; <c>after</c> and <c>limit</c> pick it.</summary>
    private static object Page(List<string> ids, IQueryCollection query, int maxLimit, Func<string, object> item)
    {
        var limit = int.TryParse(query["limit"], out var l) ? Math.Clamp(l, 1, maxLimit) : Math.Min(20, maxLimit);
        var after = query["after"].ToString();
        var start = after.Length > 0 ? ids.IndexOf(after) + 1 : 0;
        var page = ids.Skip(start).Take(limit).ToList();
        return new
        {
            @object = "list",
            data = page.Select(item).ToArray(),
            first_id = page.FirstOrDefault(),
            last_id = page.LastOrDefault(),
            has_more = start + page.Count < ids.Count,
        };
    }

    private async Task WriteFileObjectAsync(HttpContext context, string id)
    {
        if (!files.ContainsKey(id))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(context, FileObject(id)).ConfigureAwait(false);
    }

    private async Task WriteContentAsync(HttpContext context, string id)
    {
        if (!files.TryGetValue(id, out var file))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        if (file.Purpose == "batch_output" && !await WaitAtAsync(FakeBatchStall.Download, context).ConfigureAwait(false))
        {
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted).ConfigureAwait(false);
    }

    private object FileObject(string id)
    {
        var file = files[id];
        return new
        {
            id, @object = "file", bytes = file.Content.Length, created_at = file.CreatedAt,
            filename = file.Name, purpose = file.Purpose, status = "processed", status_details = (string?)null,
        };
    }

    private async Task CreateAsync(HttpContext context)
    {
        using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        var root = json.RootElement;
        var inputId = root.GetProperty("input_file_id").GetString()!;
        if (!files.TryGetValue(inputId, out var input))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {inputId}", "not_found").ConfigureAwait(false);
            return;
        }
        var requests = new List<(string CustomId, FakeChatRequest Request)>();
        foreach (var line in Encoding.UTF8.GetString(input.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var item = JsonDocument.Parse(line);
            requests.Add((item.RootElement.GetProperty("custom_id").GetString()!, server.ParseRequest(item.RootElement.GetProperty("body"))));
        }
        var metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
            ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
            : [];
        if (!await WaitAtAsync(FakeBatchStall.Create, context).ConfigureAwait(false))
        {
            return;   // the client is gone before the batch was made
        }
        var late = !await WaitAtAsync(FakeBatchStall.CreateLate, context).ConfigureAwait(false);
        if (late)
        {
            await Task.Delay(LateCreateDelay, CancellationToken.None).ConfigureAwait(false);   // the client is gone; the batch is made anyway, later
        }
        var order = Interlocked.Increment(ref nextBatch);
        var batch = new Batch("batch_" + order, inputId, root.GetProperty("endpoint").GetString()!,
            root.GetProperty("completion_window").GetString()!, requests, Environment.TickCount64)
        {
            Order = order,
            Metadata = metadata,
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        batches[batch.Id] = batch;
        Interlocked.Increment(ref batchesCreated);
        if (options.BatchPollsToFinish == 0 && !Hold)
        {
            lock (batch)
            {
                Finish(batch, Outcome());
            }
        }
        if (late || !await WaitAtAsync(FakeBatchStall.CreateReply, context).ConfigureAwait(false))
        {
            return;   // made, but the client never hears of it
        }
        await WriteJsonAsync(context, BatchObject(batch)).ConfigureAwait(false);
    }

    private async Task ReadAsync(HttpContext context, string id, bool advance)
    {
        if (!batches.TryGetValue(id, out var batch))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such batch: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        if (advance)
        {
            Interlocked.Increment(ref statusReads);
            lock (batch)
            {
                if (!batch.IsTerminal && !Hold)
                {
                    batch.Reads++;
                    if (batch.Reads >= options.BatchPollsToFinish)
                    {
                        Finish(batch, Outcome());
                    }
                    else
                    {
                        batch.Status = batch.Reads == 1 ? "in_progress" : "finalizing";
                    }
                }
                else if (Hold && !batch.IsTerminal)
                {
                    batch.Status = "in_progress";
                }
            }
        }
        await WriteJsonAsync(context, BatchObject(batch)).ConfigureAwait(false);
    }

    private string Outcome() => options.BatchOutcome switch
    {
        FakeBatchOutcome.Completed => "completed",
        FakeBatchOutcome.Failed => "failed",
        FakeBatchOutcome.Expired => "expired",
        _ => "cancelled",
    };

    /// <summary>Ends a batch: answers its requests into an output file and an error file.</summary>
    private void Finish(Batch batch, string status)
    {
        batch.Status = status;
        if (status == "failed")
        {
            batch.Errors = "Line 1: the input file is not valid for this endpoint (the fake server's failed outcome).";
            return;
        }
        var answerUpTo = status == "completed" ? batch.Requests.Count : batch.Requests.Count / 2;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var n = 0;
        foreach (var (customId, request) in batch.Requests)
        {
            var lineId = "batch_req_" + batch.Id + "_" + n;
            if (n++ >= answerUpTo)
            {
                var code = status == "expired" ? "batch_expired" : "batch_cancelled";
                errors.AppendLine(JsonSerializer.Serialize(new { id = lineId, custom_id = customId, response = (object?)null, error = new { code, message = $"This request was not run before the batch was {status}." } }));
                Interlocked.Increment(ref requestsFailed);
                continue;
            }
            var text = options.BatchRequestFails?.Invoke(request) == true ? null : responder(request);
            if (text is null)
            {
                var failed = options.BatchRequestFails?.Invoke(request) == true;
                var statusCode = failed ? 500 : 404;
                var message = failed ? "The server had an error while processing your request." : "No completion is known for this prompt.";
                errors.AppendLine(JsonSerializer.Serialize(new
                {
                    id = lineId, custom_id = customId,
                    response = new { status_code = statusCode, request_id = "req_" + lineId, body = new { error = new { message, type = "server_error", param = (string?)null, code = (string?)null } } },
                    error = (object?)null,
                }));
                Interlocked.Increment(ref requestsFailed);
                continue;
            }
            output.AppendLine(JsonSerializer.Serialize(new
            {
                id = lineId, custom_id = customId,
                response = new { status_code = 200, request_id = "req_" + lineId, body = server.CompletionBody(request, text) },
                error = (object?)null,
            }));
            Interlocked.Increment(ref requestsAnswered);
        }
        batch.OutputFileId = output.Length > 0 ? AddFile($"{batch.Id}_output.jsonl", output.ToString()) : null;
        batch.ErrorFileId = errors.Length > 0 ? AddFile($"{batch.Id}_error.jsonl", errors.ToString()) : null;
        batch.Answered = answerUpTo;
    }

    private string AddFile(string name, string content)
    {
        var order = Interlocked.Increment(ref nextFile);
        var id = "file-" + order;
        files[id] = (name, "batch_output", Encoding.UTF8.GetBytes(content), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), order);
        return id;
    }

    private static object BatchObject(Batch batch)
    {
        lock (batch)
        {
            var failed = batch.IsTerminal && batch.Status != "failed" ? batch.Requests.Count - batch.Answered : 0;
            return new
            {
                id = batch.Id,
                @object = "batch",
                endpoint = batch.Endpoint,
                errors = batch.Errors is null ? null : new { @object = "list", data = new[] { new { code = "invalid_file", message = batch.Errors, param = (string?)null, line = 1 } } },
                input_file_id = batch.InputFileId,
                completion_window = batch.CompletionWindow,
                status = batch.Status,
                output_file_id = batch.OutputFileId,
                error_file_id = batch.ErrorFileId,
                created_at = batch.CreatedAt,
                request_counts = new { total = batch.Requests.Count, completed = batch.IsTerminal ? batch.Answered : 0, failed },
                metadata = batch.Metadata,
            };
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, object body)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body)).ConfigureAwait(false);
    }

    private sealed class Batch(string id, string inputFileId, string endpoint, string completionWindow, List<(string CustomId, FakeChatRequest Request)> requests, long created)
    {
        public string Id { get; } = id;

        public string InputFileId { get; } = inputFileId;

        public string Endpoint { get; } = endpoint;

        public string CompletionWindow { get; } = completionWindow;

        public List<(string CustomId, FakeChatRequest Request)> Requests { get; } = requests;

        public long Created { get; } = created;

        public int Order { get; init; }

        public Dictionary<string, string> Metadata { get; init; } = [];

        public long CreatedAt { get; init; }

        public string Status { get; set; } = "validating";

        public int Reads { get; set; }

        public int Answered { get; set; }

        public string? OutputFileId { get; set; }

        public string? ErrorFileId { get; set; }

        public string? Errors { get; set; }

        public bool IsTerminal => Status is "completed" or "failed" or "expired" or "cancelled";
    }
}

/// <summary>Where <see cref="FakeBatchApi.Stall"/> holds a request: the stages of making and collecting a batch.</summary>
public enum FakeBatchStall
{
    /// <summary>Nothing is held.</summary>
    None,

    /// <summary>An upload, received but not stored yet (a client gone now leaves nothing on the server).</summary>
    Upload,

    /// <summary>An upload's answer: the file is stored, the client has not heard of it.</summary>
    UploadReply,

    /// <summary>A create request, received but no batch made yet (a client gone now leaves no batch).</summary>
    Create,

    /// <summary>A create request's answer: the batch is made (and runs), the client has not heard of it.</summary>
    CreateReply,

    /// <summary>
    /// A create request, received; when the client goes away the batch is still made, <see cref="FakeBatchApi.LateCreateDelay"/>
    /// later (a provider that finishes what it was asked after the connection dropped).
    /// </summary>
    CreateLate,

    /// <summary>The download of a finished batch's output file.</summary>
    Download,
}
