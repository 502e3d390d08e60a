using System.Collections.Concurrent;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A teacher that answers from a <see cref="TeacherCallCache"/> first and asks the wrapped teacher only for the
/// samples the cache lacks, storing each successful completion. Each missing sample is asked for on its own
/// (<see cref="TeacherSampling.Samples"/> = 1), so samples are independent draws and a failed sample does not cost
/// the others: those that succeeded are cached before the failure is rethrown. A second run over the same prompts
/// makes no calls, and identical prompts asked at the same time share one call (counted as a cache hit for all but
/// the first; the shared call is cancelled by the token of the caller that started it). Across processes sharing the
/// cache folder, a call holds the key's lease file while it runs; another process needing the same key waits for the
/// answer to reach the cache (re-reading the other writers' files) instead of asking too (<see cref="OtherProcessHits"/>).
/// </summary>
public sealed class CachingTeacher : ITeacher
{
    private readonly ITeacher inner;
    private readonly TeacherCallCache cache;
    private readonly ConcurrentDictionary<string, Lazy<Task<TeacherCompletion>>> inFlight = new(StringComparer.Ordinal);
    private long calls;
    private long hits;
    private long failures;
    private long promptTokens;
    private long completionTokens;
    private long otherProcessHits;

    /// <summary>Wraps <paramref name="inner"/> with <paramref name="cache"/>; neither is disposed by this teacher.</summary>
    public CachingTeacher(ITeacher inner, TeacherCallCache cache)
    {
        this.inner = inner ?? throw new ArgumentNullException(nameof(inner));
        this.cache = cache ?? throw new ArgumentNullException(nameof(cache));
    }

    /// <inheritdoc />
    public string CacheIdentity => inner.CacheIdentity;

    /// <summary>Of the cache hits, those answered by another process sharing the cache folder while this one waited on its lease.</summary>
    public long OtherProcessHits => Interlocked.Read(ref otherProcessHits);

    /// <summary>The cache this teacher answers from.</summary>
    internal TeacherCallCache Cache => cache;

    /// <summary>The teacher it asks on a miss.</summary>
    internal ITeacher Inner => inner;

    /// <summary>Calls made, cache hits, failures and tokens spent so far.</summary>
    public TeacherCallStats Stats => new(
        Interlocked.Read(ref calls), Interlocked.Read(ref hits), Interlocked.Read(ref failures),
        Interlocked.Read(ref promptTokens), Interlocked.Read(ref completionTokens));

    /// <inheritdoc />
    /// <exception cref="TeacherCallFailedException">A missing sample could not be obtained (others are still cached).</exception>
    public async Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampling.Samples, 1, nameof(sampling.Samples));
        var completions = new TeacherCompletion[sampling.Samples];
        List<Task>? fetches = null;
        for (var i = 0; i < completions.Length; i++)
        {
            var key = TeacherCallCache.ComputeKey(CacheIdentity, prompt, sampling, i);
            if (cache.TryGet(key, out var cached))
            {
                Interlocked.Increment(ref hits);
                completions[i] = cached with { Cached = true };
            }
            else
            {
                (fetches ??= []).Add(FetchSharedAsync(prompt, sampling, i, key, completions, cancellationToken));
            }
        }
        if (fetches is not null)
        {
            await Task.WhenAll(fetches).ConfigureAwait(false);
        }
        return completions;
    }

    /// <summary>Joins the call already in flight for <paramref name="key"/>, or starts it.</summary>
    private async Task FetchSharedAsync(TeacherPrompt prompt, TeacherSampling sampling, int sampleIndex, string key, TeacherCompletion[] into, CancellationToken cancellationToken)
    {
        var mine = new Lazy<Task<TeacherCompletion>>(() => FetchAsync(prompt, sampling, sampleIndex, key, cancellationToken));
        var shared = inFlight.GetOrAdd(key, mine);
        if (!ReferenceEquals(shared, mine))
        {
            Interlocked.Increment(ref hits);
        }

        try
        {
            var completion = await shared.Value.ConfigureAwait(false);
            into[sampleIndex] = ReferenceEquals(shared, mine) ? completion : completion with { Cached = true };
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
            {
                inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<TeacherCompletion>>>(key, mine));
            }
        }
    }

    private async Task<TeacherCompletion> FetchAsync(TeacherPrompt prompt, TeacherSampling sampling, int sampleIndex, string key, CancellationToken cancellationToken)
    {
        // A call for the same key may have finished (and been cached) between the caller's cache miss and now.
        if (cache.TryGet(key, out var cached))
        {
            Interlocked.Increment(ref hits);
            return cached with { Cached = true };
        }

        // Another process sharing the cache folder may be asking the same prompt: take the key's lease, or wait for
        // that process's answer to appear in the cache (or for its lease to go, when its call failed or it died).
        var wait = TimeSpan.FromMilliseconds(20);
        IDisposable? lease;
        while ((lease = cache.Leases.TryAcquire(key)) is null)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 250));
            cache.Refresh();
            if (cache.TryGet(key, out cached))
            {
                Interlocked.Increment(ref hits);
                Interlocked.Increment(ref otherProcessHits);
                return cached with { Cached = true };
            }
        }
        using (lease)
        {
            // The owner writes its answer before giving the lease up: look once more before paying for the call.
            cache.Refresh(force: true);
            if (cache.TryGet(key, out cached))
            {
                Interlocked.Increment(ref hits);
                Interlocked.Increment(ref otherProcessHits);
                return cached with { Cached = true };
            }

            Interlocked.Increment(ref calls);
            TeacherCompletion completion;
            try
            {
                var answer = await inner.CompleteAsync(prompt, sampling with { Samples = 1 }, cancellationToken).ConfigureAwait(false);
                completion = answer.Count > 0
                    ? answer[0]
                    : throw new TeacherCallFailedException($"Teacher {CacheIdentity} returned no completion for row '{prompt.RowId}'.", attempts: 1, lastStatus: null);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (TeacherCallFailedException e) when (e.BudgetReached)
            {
                Interlocked.Decrement(ref calls);   // not made: it could have passed the budget
                throw;
            }
            catch
            {
                Interlocked.Increment(ref failures);
                throw;
            }
            Interlocked.Add(ref promptTokens, completion.PromptTokens ?? 0);
            Interlocked.Add(ref completionTokens, completion.CompletionTokens ?? 0);
            cache.Add(key, completion, CacheIdentity, sampleIndex);
            return completion;
        }
    }
}
