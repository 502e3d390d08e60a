using System.ClientModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The batch step of an annotation run: resumes the cache folder's unfinished batches of this teacher (a job a killed
/// run left without a batch id is looked up on the provider first: the batch it made, found by its
/// <c>stepdistill_job</c> metadata, is polled; an input file it uploaded is run or deleted), puts the
/// requests they do not cover into new batches (split by <see cref="TeacherBatchOptions.MaxRequestsPerBatch"/> and
/// <see cref="TeacherBatchOptions.MaxFileBytes"/>, each within the budget), polls with backoff until every batch ends,
/// and stores each answer in the teacher cache by its <c>custom_id</c> (the cache key). Requests that failed inside a
/// batch are left to the live pass, or put into follow-up batches (<see cref="BatchRetryMode.FollowUpBatch"/>).
/// </summary>
internal sealed class BatchRunner(
    OpenAiBatchApi api, TeacherCallCache cache, string teacher, TeacherBatchOptions options, TeacherPrices? prices, CostBudget? budget, Action<string> log,
    Action<string> warn)
{
    private readonly BatchJobStore store = new(cache.Folder);
    private readonly HashSet<string> answered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> failures = new(StringComparer.Ordinal);
    private int created;
    private bool budgetReached;

    /// <summary>How long after its create request a job's batch may still be in the making at the provider.</summary>
    internal static TimeSpan CreateSettle { get; } = TimeSpan.FromSeconds(5);

    public async Task<BatchOutcome> RunAsync(IReadOnlyList<BatchRequest> requests, CancellationToken cancellationToken)
    {
        var byKey = requests.ToDictionary(r => r.Key, StringComparer.Ordinal);
        var active = new List<BatchJobState>();
        var unfinished = new List<BatchJobState>();
        foreach (var pending in store.Pending(teacher, log))
        {
            if (pending.BatchId is null)
            {
                unfinished.Add(pending);   // killed before it saved a batch id: was the batch made, or the file uploaded?
                continue;
            }
            log($"resuming provider batch {pending.BatchId} ({pending.Keys.Count} requests, last seen {pending.Status})");
            active.Add(pending);
        }
        var (adopted, uploaded) = unfinished.Count > 0 ? await RecoverAsync(unfinished, cancellationToken).ConfigureAwait(false) : ([], []);
        active.AddRange(adopted);
        var covered = active.SelectMany(a => a.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var job in uploaded)
        {
            // An input file a killed run uploaded but made no batch of: run it, when this run still wants every request
            // in it; otherwise delete it (its wanted requests go into new batches below).
            var wanted = job.Keys.All(k => byKey.ContainsKey(k) && !covered.Contains(k));
            if (wanted && TryReserve(job.Keys.Select(k => byKey[k]), out var worst))
            {
                log($"reusing input file {job.InputFileId} that a killed run uploaded ({job.Keys.Count} requests)");
                active.Add(await CreateBatchAsync(job, cancellationToken).ConfigureAwait(false));
                reserved[job.Job] = worst;
                covered.UnionWith(job.Keys);
            }
            else
            {
                var why = wanted ? "the budget does not cover it" : "this run does not need all of its requests";
                await DeleteFileAsync(job.InputFileId!, $"a killed run uploaded it; {why}", cancellationToken).ConfigureAwait(false);
                store.Save(job with { Collected = true, Status = "abandoned" });
            }
        }
        var fresh = requests.Where(r => !covered.Contains(r.Key)).ToList();
        active.AddRange(await SubmitAsync(fresh, cancellationToken).ConfigureAwait(false));
        await CollectAsync(active, cancellationToken).ConfigureAwait(false);

        for (var round = 0; options.RetryFailed == BatchRetryMode.FollowUpBatch && round < options.MaxFollowUpBatches && failures.Count > 0; round++)
        {
            var again = failures.Keys.Where(byKey.ContainsKey).Select(k => byKey[k]).ToList();
            if (again.Count == 0)
            {
                break;
            }
            log($"follow-up batch {round + 1}: {again.Count} requests that failed inside a batch");
            foreach (var r in again)
            {
                failures.Remove(r.Key);
            }
            await CollectAsync(await SubmitAsync(again, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        return new BatchOutcome(created, answered, failures, budgetReached);
    }

    private async Task<List<BatchJobState>> SubmitAsync(List<BatchRequest> requests, CancellationToken cancellationToken)
    {
        var created = new List<BatchJobState>();
        var lines = requests.Select(r => (Request: r, Line: api.RequestLine(r.Key, r.Prompt, r.Sampling, options.RequestUrl))).ToList();
        var start = 0;
        while (start < lines.Count)
        {
            // One chunk: as many lines as the request and byte limits allow, and as the budget's worst case allows.
            var count = 0;
            long bytes = 0;
            var worst = 0d;
            while (start + count < lines.Count && count < options.MaxRequestsPerBatch)
            {
                var (request, line) = lines[start + count];
                var size = Encoding.UTF8.GetByteCount(line) + 1;
                if (count > 0 && bytes + size > options.MaxFileBytes)
                {
                    break;
                }
                var lineWorst = WorstCase(request);
                if (budget is not null && !budget.TryReserve(lineWorst))
                {
                    budgetReached = true;
                    break;
                }
                worst += lineWorst;
                bytes += size;
                count++;
            }
            if (count == 0)
            {
                if (budgetReached)
                {
                    log($"budget reached: {lines.Count - start} requests not put into a batch");
                    break;
                }
                throw new InvalidOperationException($"A batch request line is larger than TeacherBatchOptions.MaxFileBytes ({options.MaxFileBytes} bytes).");
            }
            var chunk = lines.GetRange(start, count);
            start += count;
            created.Add(await CreateAsync(chunk, cancellationToken).ConfigureAwait(false));
            // The worst case stays booked until the chunk's answers are collected (CollectAsync settles it).
            reserved[created[^1].Job] = worst;
            if (budgetReached)
            {
                log($"budget reached: {lines.Count - start} requests not put into a batch");
                break;
            }
        }
        return created;
    }

    private readonly Dictionary<string, double> reserved = new(StringComparer.Ordinal);

    private async Task<BatchJobState> CreateAsync(List<(BatchRequest Request, string Line)> chunk, CancellationToken cancellationToken)
    {
        var job = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        var state = new BatchJobState(job, teacher, chunk.Select(c => c.Request.Key).ToArray(), null, null, "preparing", false, DateTimeOffset.UtcNow);
        store.Save(state);
        var jsonl = BinaryData.FromString(string.Join("\n", chunk.Select(c => c.Line)) + "\n");
        var fileId = await Guard(() => api.UploadAsync(jsonl, InputFileName(job), cancellationToken)).ConfigureAwait(false);
        return await CreateBatchAsync(state with { InputFileId = fileId }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The name a job's input file is uploaded with: a restart finds an upload it never saw answered by it.</summary>
    private static string InputFileName(string job) => $"stepdistill-{job}.jsonl";

    /// <summary>Creates the batch of a job whose input file is uploaded; the job id goes with it as batch metadata.</summary>
    private async Task<BatchJobState> CreateBatchAsync(BatchJobState state, CancellationToken cancellationToken)
    {
        state = state with { Status = "uploaded", CreateRequestedAt = DateTimeOffset.UtcNow };
        store.Save(state);
        var batchId = await Guard(() => api.CreateAsync(state.InputFileId!, options.RequestUrl, options.CompletionWindow, state.Job, cancellationToken)).ConfigureAwait(false);
        state = state with { BatchId = batchId, Status = "validating" };
        store.Save(state);
        created++;
        log($"created provider batch {batchId}: {state.Keys.Count} requests, input file {state.InputFileId}");
        return state;
    }

    /// <summary>
    /// Jobs a killed run left without a batch id. Each is either a batch the provider made (found by its
    /// <c>stepdistill_job</c> metadata; polled, not made again), an input file it holds (the saved id, or found by the
    /// upload's file name; returned to be run or deleted), or nothing the provider knows (abandoned: its requests are
    /// asked again).
    /// </summary>
    private async Task<(List<BatchJobState> Adopted, List<BatchJobState> Uploaded)> RecoverAsync(List<BatchJobState> jobs, CancellationToken cancellationToken)
    {
        var since = jobs.Min(j => j.CreatedAt) - TimeSpan.FromHours(1);   // the provider's clock is not ours
        var batches = await TryListAsync("batches", () => api.ListBatchesAsync(since, cancellationToken)).ConfigureAwait(false);
        ProviderBatch? Made(BatchJobState job) => batches?.FirstOrDefault(b => b.Job == job.Job);

        // A create request the killed run sent just now may still be in the making: give it a few seconds to appear.
        var lastCreate = jobs.Where(j => Made(j) is null && j.CreateRequestedAt is not null).Select(j => j.CreateRequestedAt!.Value).DefaultIfEmpty().Max();
        var settle = lastCreate + CreateSettle - DateTimeOffset.UtcNow;
        if (batches is not null && settle > TimeSpan.Zero)
        {
            log(string.Create(CultureInfo.InvariantCulture, $"a killed run asked for a batch {(DateTimeOffset.UtcNow - lastCreate).TotalSeconds:0.0} s ago and none is listed yet; looking again in {settle.TotalSeconds:0.0} s"));
            await Task.Delay(settle, cancellationToken).ConfigureAwait(false);
            batches = await TryListAsync("batches", () => api.ListBatchesAsync(since, cancellationToken)).ConfigureAwait(false);
        }

        // Uploads whose answer the killed run never saw (it saved no file id): found by the file name.
        var files = jobs.Any(j => j.InputFileId is null && Made(j) is null)
            ? await TryListAsync("files", () => api.ListFilesAsync("batch", since, cancellationToken)).ConfigureAwait(false)
            : null;

        var adopted = new List<BatchJobState>();
        var uploaded = new List<BatchJobState>();
        foreach (var job in jobs)
        {
            var named = files?.Where(f => f.FileName == InputFileName(job.Job)).Select(f => f.Id).ToList() ?? [];
            if (Made(job) is { } batch)
            {
                var found = job with { BatchId = batch.Id, InputFileId = batch.InputFileId ?? job.InputFileId, Status = batch.Status };
                store.Save(found);
                log($"found provider batch {batch.Id}, which a killed run created for job {job.Job} ({job.Keys.Count} requests, {batch.Status}): resuming it");
                var others = batches!.Where(b => b.Job == job.Job && b.Id != batch.Id).Select(b => b.Id).ToList();
                if (others.Count > 0)
                {
                    warn($"the provider also lists batch(es) {string.Join(", ", others)} for job {job.Job}; only {batch.Id} is polled");
                }
                adopted.Add(found);
                continue;
            }
            var fileId = job.InputFileId ?? named.FirstOrDefault();
            foreach (var extra in named.Where(id => id != fileId))
            {
                await DeleteFileAsync(extra, $"a second upload of job {job.Job}", cancellationToken).ConfigureAwait(false);
            }
            if (fileId is not null && (job.InputFileId is null || await FileExistsAsync(fileId, cancellationToken).ConfigureAwait(false)))
            {
                uploaded.Add(job with { InputFileId = fileId });
                continue;
            }
            // Killed before its upload reached the provider: nothing was stored or paid; its keys are asked again.
            log($"job {job.Job}: the provider has no batch or input file of it; its {job.Keys.Count} requests are asked again");
            store.Save(job with { Collected = true, Status = "abandoned" });
        }
        return (adopted, uploaded);
    }

    /// <summary>A list call; <c>null</c> (with a message) when the provider cannot list, so recovery goes on without it.</summary>
    private async Task<IReadOnlyList<T>?> TryListAsync<T>(string what, Func<Task<IReadOnlyList<T>>> list)
    {
        try
        {
            return await Guard(list).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ClientResultException or TeacherCallFailedException { LastStatus: 404 })
        {
            var reason = e is ClientResultException c ? TeacherFailure.Of(c).Reason : "HTTP 404";
            warn($"could not list the provider's {what} ({reason}): " +
                (what == "batches" ? "a batch a killed run created may be created again" : "an input file a killed run uploaded may stay on the provider"));
            return null;
        }
    }

    private async Task<bool> FileExistsAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            return await Guard(async () => await api.FileExistsAsync(fileId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (ClientResultException e)
        {
            warn($"could not look up input file {fileId} that a killed run uploaded ({TeacherFailure.Of(e).Reason}); it may stay on the provider, and its requests are uploaded again");
            return false;
        }
    }

    /// <summary>Deletes an input file nothing will run, so it does not stay on the provider; a failure is only reported.</summary>
    private async Task DeleteFileAsync(string fileId, string why, CancellationToken cancellationToken)
    {
        try
        {
            await Guard(async () =>
            {
                await api.DeleteFileAsync(fileId, cancellationToken).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            log($"deleted input file {fileId} from the provider ({why})");
        }
        catch (Exception e) when (e is ClientResultException or TeacherCallFailedException { LastStatus: 404 })
        {
            warn($"could not delete input file {fileId} from the provider ({why}): {api.Redact(e.Message)}");
        }
    }

    /// <summary>Reserves the budget's worst case of <paramref name="requests"/>, all or nothing.</summary>
    private bool TryReserve(IEnumerable<BatchRequest> requests, out double worst)
    {
        worst = requests.Sum(WorstCase);
        if (budget is null || budget.TryReserve(worst))
        {
            return true;
        }
        budgetReached = true;
        return false;
    }

    private double WorstCase(BatchRequest request) =>
        prices?.Cost(TokenEstimator.PromptTokens(request.Prompt), request.Sampling.MaxOutputTokens, batched: true) ?? 0;

    private async Task CollectAsync(List<BatchJobState> active, CancellationToken cancellationToken)
    {
        var wait = options.PollInterval;
        var open = new List<BatchJobState>(active);
        while (open.Count > 0)
        {
            for (var i = open.Count - 1; i >= 0; i--)
            {
                ProviderBatchState state;
                try
                {
                    state = await Guard(() => api.GetAsync(open[i].BatchId!, cancellationToken)).ConfigureAwait(false);
                }
                catch (ClientResultException e) when (TeacherFailure.Of(e).Retryable)
                {
                    log($"polling batch {open[i].BatchId} failed ({TeacherFailure.Of(e).Reason}); trying again later");
                    continue;
                }
                catch (TeacherCallFailedException e) when (e.LastStatus == 404)
                {
                    // The provider does not know this batch (a state file from another account or server): its requests are asked again.
                    log($"batch {open[i].BatchId} is unknown to the provider; its {open[i].Keys.Count} requests are asked again");
                    foreach (var key in open[i].Keys)
                    {
                        failures[key] = $"batch {open[i].BatchId} is unknown to the provider";
                    }
                    store.Save(open[i] with { Collected = true, Status = "lost" });
                    open.RemoveAt(i);
                    continue;
                }
                if (state.Status != open[i].Status)
                {
                    open[i] = open[i] with { Status = state.Status };
                    store.Save(open[i]);
                    log($"batch {open[i].BatchId}: {state.Status}");
                }
                if (state.IsTerminal)
                {
                    await ReadResultsAsync(open[i], state, cancellationToken).ConfigureAwait(false);
                    store.Save(open[i] with { Collected = true });
                    open.RemoveAt(i);
                }
            }
            if (open.Count > 0)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, options.MaxPollInterval.Ticks));
            }
        }
    }

    private async Task ReadResultsAsync(BatchJobState job, ProviderBatchState state, CancellationToken cancellationToken)
    {
        var expected = job.Keys.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var spent = 0d;
        foreach (var fileId in new[] { state.OutputFileId, state.ErrorFileId })
        {
            if (fileId is null)
            {
                continue;
            }
            var text = await Guard(() => api.DownloadAsync(fileId, cancellationToken)).ConfigureAwait(false);
            var lineNumber = 0;
            foreach (var line in text.Split('\n'))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                if (!TryReadResult(line, out var key, out var completion, out var failure))
                {
                    log($"batch {job.BatchId} file {fileId} line {lineNumber}: skipped an unreadable result ({failure})");
                    continue;
                }
                if (!expected.Contains(key) || !seen.Add(key))
                {
                    continue;   // not ours, or a second answer for the same custom_id: the first one counts
                }
                if (completion is not null)
                {
                    cache.Add(key, completion, teacher, 0);
                    answered.Add(key);
                    spent += prices?.Cost(completion.PromptTokens ?? 0, completion.CompletionTokens ?? TokenEstimator.Count(completion.Text), batched: true) ?? 0;
                }
                else
                {
                    failures[key] = $"batch {job.BatchId}: {failure}";
                }
            }
        }
        foreach (var key in expected.Where(k => !seen.Contains(k)))
        {
            failures[key] = $"batch {job.BatchId} ended {state.Status} without an answer for this request{(state.Errors is { } e ? ": " + e : "")}";
        }
        if (budget is not null)
        {
            budget.Settle(this.reserved.Remove(job.Job, out var reserved) ? reserved : 0, spent);
        }
        log(string.Create(CultureInfo.InvariantCulture, $"batch {job.BatchId} {state.Status}: {job.Keys.Count(answered.Contains)} answered, {job.Keys.Count(failures.ContainsKey)} failed"));
    }

    /// <summary>Reads one line of an output or error file: an answer, or why there is none.</summary>
    private static bool TryReadResult(string line, out string key, out TeacherCompletion? completion, out string failure)
    {
        key = "";
        completion = null;
        failure = "";
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            key = root.GetProperty("custom_id").GetString() ?? "";
            if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
            {
                var status = response.TryGetProperty("status_code", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt32() : 0;
                var body = response.TryGetProperty("body", out var b) ? b : default;
                if (status == 200 && body.ValueKind == JsonValueKind.Object)
                {
                    var text = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
                    int? promptTokens = null, completionTokens = null;
                    if (body.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    {
                        promptTokens = usage.TryGetProperty("prompt_tokens", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
                        completionTokens = usage.TryGetProperty("completion_tokens", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null;
                    }
                    completion = new TeacherCompletion(text, promptTokens, completionTokens) { Batched = true };
                    return key.Length > 0;
                }
                var message = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("error", out var err) && err.TryGetProperty("message", out var m) ? m.GetString() : null;
                failure = string.Create(CultureInfo.InvariantCulture, $"HTTP {status}{(message is null ? "" : ": " + message)}");
                return key.Length > 0;
            }
            if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
                var message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                failure = $"{code}: {message}";
                return key.Length > 0;
            }
            failure = "neither a response nor an error";
            return key.Length > 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            failure = e.GetType().Name;
            return false;
        }
    }

    /// <summary>Turns a refused key, a missing route or nothing listening into one clear stop.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ClientResultException e) when (TeacherFailure.Of(e) is var failure && failure.IsFatal(anyCallSucceeded: false))
        {
            var endpoint = api.Endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
            var status = failure.Status is { } code ? $"HTTP {code}" : failure.Reason;
            var check = failure.Status == 404
                ? $"The server has no Files or Batches endpoint at {endpoint} (or no such file or batch): batch mode needs a provider that implements them (OpenAI, Azure OpenAI); leave out --batch for live calls"
                : failure.WhatToCheck(endpoint, api.Model);
            throw new TeacherCallFailedException(api.Redact($"The teacher's batch API cannot be used: endpoint {endpoint}, model {api.Model}, {status}. {check}."), 1, failure.Status) { TeacherUnreachable = true };
        }
    }
}
