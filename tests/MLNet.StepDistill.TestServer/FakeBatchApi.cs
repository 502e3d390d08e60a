using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MLNet.StepDistill.TestServer;

/// <summary>
/// The OpenAI Files and Batches endpoints of the fake server, in OpenAI's wire format: <c>POST /v1/files</c>
/// (multipart, <c>purpose=batch</c>), <c>GET /v1/files/{id}</c> and <c>/content</c>, <c>POST /v1/batches</c>,
/// <c>GET /v1/batches/{id}</c> and <c>POST /v1/batches/{id}/cancel</c>. Each status read moves a batch one step
/// (validating, in_progress, finalizing) until it ends as <see cref="FakeServerOptions.BatchOutcome"/> says; then its
/// requests are answered with the server's responder into an output file (status 200 lines) and an error file
/// (failed requests, expired or cancelled ones). <see cref="Hold"/> keeps batches in progress.
/// </summary>
public sealed class FakeBatchApi
{
    private readonly FakeChatCompletionsServer _server;
    private readonly Func<FakeChatRequest, string?> _responder;
    private readonly FakeServerOptions _options;
    private readonly ConcurrentDictionary<string, (string Name, string Purpose, byte[] Content)> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Batch> _batches = new(StringComparer.Ordinal);
    private int _nextFile;
    private int _nextBatch;
    private int _batchesCreated;
    private int _filesUploaded;
    private int _requestsAnswered;
    private int _requestsFailed;
    private int _statusReads;

    internal FakeBatchApi(FakeChatCompletionsServer server, Func<FakeChatRequest, string?> responder, FakeServerOptions options)
    {
        _server = server;
        _responder = responder;
        _options = options;
    }

    /// <summary>While true, batches stay <c>in_progress</c> however often they are read. Default false.</summary>
    public bool Hold { get; set; }

    /// <summary>Batches created.</summary>
    public int BatchesCreated => Volatile.Read(ref _batchesCreated);

    /// <summary>Files uploaded.</summary>
    public int FilesUploaded => Volatile.Read(ref _filesUploaded);

    /// <summary>Requests inside batches answered with a completion.</summary>
    public int RequestsAnswered => Volatile.Read(ref _requestsAnswered);

    /// <summary>Requests inside batches that failed, expired or were cancelled.</summary>
    public int RequestsFailed => Volatile.Read(ref _requestsFailed);

    /// <summary>Status reads of batches (<c>GET /v1/batches/{id}</c>).</summary>
    public int StatusReads => Volatile.Read(ref _statusReads);

    /// <summary>Every request line of every batch input file, in upload order.</summary>
    public IReadOnlyList<FakeChatRequest> Requests => [.. _batches.Values.OrderBy(b => b.Created).SelectMany(b => b.Requests.Select(r => r.Request))];

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
                case (3, "files", "GET"):
                    await WriteFileObjectAsync(context, parts[2]).ConfigureAwait(false);
                    return;
                case (4, "files", "GET") when parts[3] == "content":
                    await WriteContentAsync(context, parts[2]).ConfigureAwait(false);
                    return;
                case (2, "batches", "POST"):
                    await CreateAsync(context).ConfigureAwait(false);
                    return;
                case (3, "batches", "GET"):
                    await ReadAsync(context, parts[2], advance: true).ConfigureAwait(false);
                    return;
                case (4, "batches", "POST") when parts[3] == "cancel":
                    if (_batches.TryGetValue(parts[2], out var cancelled))
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

    private async Task UploadAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var purpose = form["purpose"].ToString();
        var file = form.Files.GetFile("file") ?? throw new InvalidOperationException("no 'file' part");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var id = "file-" + Interlocked.Increment(ref _nextFile);
        _files[id] = (file.FileName, purpose, buffer.ToArray());
        Interlocked.Increment(ref _filesUploaded);
        await WriteJsonAsync(context, FileObject(id)).ConfigureAwait(false);
    }

    private async Task WriteFileObjectAsync(HttpContext context, string id)
    {
        if (!_files.ContainsKey(id))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(context, FileObject(id)).ConfigureAwait(false);
    }

    private async Task WriteContentAsync(HttpContext context, string id)
    {
        if (!_files.TryGetValue(id, out var file))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        await context.Response.Body.WriteAsync(file.Content, context.RequestAborted).ConfigureAwait(false);
    }

    private object FileObject(string id)
    {
        var file = _files[id];
        return new
        {
            id, @object = "file", bytes = file.Content.Length, created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            filename = file.Name, purpose = file.Purpose, status = "processed", status_details = (string?)null,
        };
    }

    private async Task CreateAsync(HttpContext context)
    {
        using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        var root = json.RootElement;
        var inputId = root.GetProperty("input_file_id").GetString()!;
        if (!_files.TryGetValue(inputId, out var input))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such file: {inputId}", "not_found").ConfigureAwait(false);
            return;
        }
        var requests = new List<(string CustomId, FakeChatRequest Request)>();
        foreach (var line in Encoding.UTF8.GetString(input.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var item = JsonDocument.Parse(line);
            requests.Add((item.RootElement.GetProperty("custom_id").GetString()!, _server.ParseRequest(item.RootElement.GetProperty("body"))));
        }
        var batch = new Batch("batch_" + Interlocked.Increment(ref _nextBatch), inputId, root.GetProperty("endpoint").GetString()!,
            root.GetProperty("completion_window").GetString()!, requests, Environment.TickCount64);
        _batches[batch.Id] = batch;
        Interlocked.Increment(ref _batchesCreated);
        if (_options.BatchPollsToFinish == 0 && !Hold)
        {
            lock (batch)
            {
                Finish(batch, Outcome());
            }
        }
        await WriteJsonAsync(context, BatchObject(batch)).ConfigureAwait(false);
    }

    private async Task ReadAsync(HttpContext context, string id, bool advance)
    {
        if (!_batches.TryGetValue(id, out var batch))
        {
            await FakeChatCompletionsServer.WriteErrorAsync(context, 404, $"No such batch: {id}", "not_found").ConfigureAwait(false);
            return;
        }
        if (advance)
        {
            Interlocked.Increment(ref _statusReads);
            lock (batch)
            {
                if (!batch.IsTerminal && !Hold)
                {
                    batch.Reads++;
                    if (batch.Reads >= _options.BatchPollsToFinish)
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

    private string Outcome() => _options.BatchOutcome switch
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
                Interlocked.Increment(ref _requestsFailed);
                continue;
            }
            var text = _options.BatchRequestFails?.Invoke(request) == true ? null : _responder(request);
            if (text is null)
            {
                var failed = _options.BatchRequestFails?.Invoke(request) == true;
                var statusCode = failed ? 500 : 404;
                var message = failed ? "The server had an error while processing your request." : "No completion is known for this prompt.";
                errors.AppendLine(JsonSerializer.Serialize(new
                {
                    id = lineId, custom_id = customId,
                    response = new { status_code = statusCode, request_id = "req_" + lineId, body = new { error = new { message, type = "server_error", param = (string?)null, code = (string?)null } } },
                    error = (object?)null,
                }));
                Interlocked.Increment(ref _requestsFailed);
                continue;
            }
            output.AppendLine(JsonSerializer.Serialize(new
            {
                id = lineId, custom_id = customId,
                response = new { status_code = 200, request_id = "req_" + lineId, body = _server.CompletionBody(request, text) },
                error = (object?)null,
            }));
            Interlocked.Increment(ref _requestsAnswered);
        }
        batch.OutputFileId = output.Length > 0 ? AddFile($"{batch.Id}_output.jsonl", output.ToString()) : null;
        batch.ErrorFileId = errors.Length > 0 ? AddFile($"{batch.Id}_error.jsonl", errors.ToString()) : null;
        batch.Answered = answerUpTo;
    }

    private string AddFile(string name, string content)
    {
        var id = "file-" + Interlocked.Increment(ref _nextFile);
        _files[id] = (name, "batch_output", Encoding.UTF8.GetBytes(content));
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
                created_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                request_counts = new { total = batch.Requests.Count, completed = batch.IsTerminal ? batch.Answered : 0, failed },
                metadata = new Dictionary<string, string>(),
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

        public string Status { get; set; } = "validating";

        public int Reads { get; set; }

        public int Answered { get; set; }

        public string? OutputFileId { get; set; }

        public string? ErrorFileId { get; set; }

        public string? Errors { get; set; }

        public bool IsTerminal => Status is "completed" or "failed" or "expired" or "cancelled";
    }
}
