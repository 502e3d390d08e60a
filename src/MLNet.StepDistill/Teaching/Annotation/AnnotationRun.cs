using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// One annotation run over task rows: prompts built, the cache's missing requests sent through a provider batch (when
/// asked), rows sent to the teacher concurrently (through the persistent cache), completions parsed and voted on,
/// filters applied, tokens and cost counted, progress reported and logged. Results come back in row order; a row whose
/// calls fail ends <c>call-failed</c> instead of failing the run, except when the teacher cannot be reached at all
/// (<see cref="TeacherUnavailableException"/>). Cancellation stops the run.
/// </summary>
internal sealed class AnnotationRun
{
    private readonly ITeacher teacher;
    private readonly RationaleAnnotatorOptions options;
    private readonly IChannelProvider? log;

    public AnnotationRun(ITeacher teacher, RationaleAnnotatorOptions options, IChannelProvider? log)
    {
        this.teacher = teacher;
        this.options = options;
        this.log = log;
    }

    public async Task<(RowAnnotation[] Rows, AnnotationReport Report, IReadOnlyList<PromptExemplar> Exemplars)> RunAsync(IReadOnlyList<TaskExample> examples, CancellationToken cancellationToken)
    {
        var schema = options.Schema!;
        var markers = options.Markers ?? CompletionMarkers.DefaultFor(schema.Family);
        var parser = schema.Family.CreateParser(schema, markers);
        var prompt = options.Prompt ?? RationalePrompt.ForFamily(schema, markers);
        var sampling = options.Sampling;
        var concurrency = options.MaxConcurrency ?? (this.teacher is ChatClientTeacher chat ? chat.Options.MaxConcurrency : 8);
        var prices = options.Prices;
        var budget = options.MaxCost is { } max ? new CostBudget(max) : null;

        using var channel = this.log?.Start("RationaleAnnotator");
        var logLock = new Lock();
        var log = (string message) =>
        {
            lock (logLock)
            {
                channel?.Info(MessageSensitivity.None, message);
            }
        };
        var warn = (string message) =>
        {
            lock (logLock)
            {
                channel?.Warning(MessageSensitivity.None, message);
            }
            options.OnWarning?.Invoke(message);
        };
        var explain = options.Rationales == RationaleMode.ExplainGold;
        if (explain && examples.FirstOrDefault(e => !e.HasTarget) is { } ungraded)
        {
            throw new ArgumentException($"RationaleAnnotatorOptions.Rationales = ExplainGold needs a gold label on every row; row \"{ungraded.Id}\" has none ({examples.Count(e => !e.HasTarget)} rows lack one).", nameof(options.Rationales));
        }
        if (options.BootstrapExemplars > 0 && this.teacher is RecordedTeacher)
        {
            throw new ArgumentException("RationaleAnnotatorOptions.BootstrapExemplars needs a live teacher: recorded completions answer the dataset's own prompts only.", nameof(options.BootstrapExemplars));
        }
        if (budget is not null && this.teacher is CachingTeacher)
        {
            throw new ArgumentException("RationaleAnnotatorOptions.MaxCost needs the annotator to own the cache: pass the chat teacher itself, not a CachingTeacher (set CacheFolder instead).", nameof(options.MaxCost));
        }
        TeacherCallCache? ownCache = null;
        var teacher = this.teacher switch
        {
            CachingTeacher caching => caching,
            RecordedTeacher => this.teacher,
            _ => new CachingTeacher(budget is null ? this.teacher : new BudgetedTeacher(this.teacher, budget, prices!),
                ownCache = TeacherCallCache.Open(options.CacheFolder ?? RationaleAnnotatorOptions.DefaultCacheFolder, warn)),
        };

        try
        {
            var bootstrap = options.BootstrapExemplars > 0
                ? await BootstrapAsync(teacher, prompt, parser, examples, sampling with { Samples = 1 }, prices, log, cancellationToken).ConfigureAwait(false)
                : null;
            if (bootstrap is not null)
            {
                prompt = prompt with { Exemplars = bootstrap.Exemplars };
            }
            var prompts = examples.Select(e => PromptFor(prompt, e, explain)).ToArray();
            log(string.Create(CultureInfo.InvariantCulture, $"annotating {examples.Count} rows with teacher {teacher.CacheIdentity}: {sampling.Samples} sample(s) per row, temperature {sampling.Temperature}, {concurrency} rows at once{(options.Batch is null ? "" : ", through the provider's batch API")}"));
            var clock = Stopwatch.StartNew();
            BatchOutcome batch;
            try
            {
                batch = options.Batch is { } batchOptions
                    ? await RunBatchesAsync(teacher, batchOptions, prompts, sampling, budget, log, warn, cancellationToken).ConfigureAwait(false)
                    : BatchOutcome.None;
            }
            catch (TeacherCallFailedException e) when (e.TeacherUnreachable)
            {
                log("stopped: " + e.Message);
                throw new TeacherUnavailableException(e.Message, e);
            }
            if (batch.LiveTeacher is { } noLive)
            {
                teacher = noLive;
            }
            var counter = new CallCounter(teacher as CachingTeacher);

            var rows = new RowAnnotation[examples.Count];
            var noLabel = new bool[examples.Count];
            int done = 0, ok = 0, failed = 0;
            TeacherCallFailedException? unreachable = null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, examples.Count),
                    new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = stop.Token },
                    async (i, token) =>
                    {
                        if (stop.IsCancellationRequested)
                        {
                            return;
                        }
                        try
                        {
                            (rows[i], noLabel[i]) = await AnnotateRowAsync(teacher, counter, parser, prompts[i], examples[i], sampling, prices, batch.AnsweredKeys, explain, token).ConfigureAwait(false);
                        }
                        catch (TeacherCallFailedException e) when (e.TeacherUnreachable)
                        {
                            Interlocked.CompareExchange(ref unreachable, e, null);
                            // Cancel, not CancelAsync: the loop's own token is linked to this one through a callback,
                            // which must have run before this worker takes its next row.
                            stop.Cancel();
                            return;
                        }
                        if (rows[i].Status == AnnotationStatus.Ok)
                        {
                            Interlocked.Increment(ref ok);
                        }
                        else if (rows[i].Status != AnnotationStatus.Filtered)
                        {
                            Interlocked.Increment(ref failed);
                        }
                        var finished = Interlocked.Increment(ref done);
                        var (calls, hits) = counter.CallsAndHits;
                        options.Progress?.Report(new AnnotationProgress(finished, examples.Count, Volatile.Read(ref ok), Volatile.Read(ref failed), calls, hits));
                        if (finished * 10L / examples.Count != (finished - 1) * 10L / examples.Count)
                        {
                            log($"annotated {finished}/{examples.Count} rows ({Volatile.Read(ref ok)} ok, {Volatile.Read(ref failed)} failed), {calls} calls, {hits} cache hits");
                        }
                    }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (unreachable is not null && !cancellationToken.IsCancellationRequested)
            {
            }
            if (unreachable is not null)
            {
                log("stopped: " + unreachable.Message);
                throw new TeacherUnavailableException(unreachable.Message, unreachable);
            }
            clock.Stop();
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = rows[i] with { Rationales = options.Rationales };   // every row, call-failed ones too, says how it was asked
            }
            var report = Report(teacher.CacheIdentity, rows, noLabel, examples, counter.Stats, batch, prices, budget, clock.Elapsed);
            if (bootstrap is not null)
            {
                report = report with
                {
                    Calls = report.Calls + bootstrap.Calls,
                    CacheHits = report.CacheHits + bootstrap.CacheHits,
                    PromptTokens = report.PromptTokens + bootstrap.PromptTokens,
                    CompletionTokens = report.CompletionTokens + bootstrap.CompletionTokens,
                    Cost = report.Cost is { } cost ? cost + bootstrap.Cost : null,
                    BootstrappedExemplars = bootstrap.Exemplars.Count,
                    BootstrapCalls = bootstrap.Calls,
                };
            }
            report = report with { Rationales = options.Rationales };
            log("done: " + report);
            return (rows, report, prompt.Exemplars);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            log("cancelled; completions received so far stay in the cache, so a re-run resumes");
            throw;
        }
        finally
        {
            ownCache?.Dispose();
        }
    }

    /// <summary>Counts prompt tokens and estimates cost for what the cache lacks, without calling anything.</summary>
    public AnnotationEstimate Estimate(IReadOnlyList<TaskExample> examples)
    {
        var schema = options.Schema!;
        var markers = options.Markers ?? CompletionMarkers.DefaultFor(schema.Family);
        var prompt = options.Prompt ?? RationalePrompt.ForFamily(schema, markers);
        var sampling = options.Sampling;
        var completionEstimate = options.CompletionTokensEstimate ?? (prompt.Exemplars.Count == 0
            ? sampling.MaxOutputTokens
            : (int)Math.Round(prompt.Exemplars.Average(e => TokenEstimator.Count(prompt.Template.RenderAnswer(e)))));
        using var ownCache = teacher is CachingTeacher or RecordedTeacher ? null : TeacherCallCache.Open(options.CacheFolder ?? RationaleAnnotatorOptions.DefaultCacheFolder, options.OnWarning);
        var cache = (teacher as CachingTeacher)?.Cache ?? ownCache;
        long requests = 0, cached = 0, promptTokens = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var explain = options.Rationales == RationaleMode.ExplainGold;
        foreach (var example in examples)
        {
            var built = PromptFor(prompt, example, explain);
            var tokens = TokenEstimator.PromptTokens(built);
            for (var s = 0; s < sampling.Samples; s++)
            {
                var key = TeacherCallCache.ComputeKey(teacher.CacheIdentity, built, sampling, s);
                if (teacher is RecordedTeacher || (cache is not null && cache.TryGet(key, out _)) || !seen.Add(key))
                {
                    cached++;
                    continue;
                }
                requests++;
                promptTokens += tokens;
            }
        }
        var completionTokens = requests * completionEstimate;
        var prices = options.Prices;
        return new AnnotationEstimate(teacher.CacheIdentity, examples.Count, requests, cached, promptTokens, completionEstimate, completionTokens,
            prices?.Cost(promptTokens, completionTokens), prices?.Cost(promptTokens, completionTokens, batched: true));
    }

    private async Task<BatchOutcome> RunBatchesAsync(ITeacher teacher, TeacherBatchOptions options, TeacherPrompt[] prompts, TeacherSampling sampling,
        CostBudget? budget, Action<string> log, Action<string> warn, CancellationToken cancellationToken)
    {
        if (teacher is not CachingTeacher caching || FindBatchApi(caching.Inner) is not { } api)
        {
            throw new ArgumentException("RationaleAnnotatorOptions.Batch needs a teacher made by OpenAiCompatibleTeacher.Create (a provider with the Files and Batches endpoints, e.g. OpenAI or Azure OpenAI).", nameof(this.options.Batch));
        }
        var requests = new List<BatchRequest>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in prompts)
        {
            for (var s = 0; s < sampling.Samples; s++)
            {
                var key = TeacherCallCache.ComputeKey(teacher.CacheIdentity, p, sampling, s);
                if (!caching.Cache.TryGet(key, out _) && seen.Add(key))
                {
                    requests.Add(new BatchRequest(key, p, sampling with { Samples = 1 }, s));
                }
            }
        }
        var runner = new BatchRunner(api, caching.Cache, teacher.CacheIdentity, options, this.options.Prices, budget, log, warn);
        return await runner.RunAsync(requests, cancellationToken).ConfigureAwait(false) is var outcome && options.RetryFailed == BatchRetryMode.FollowUpBatch
            ? outcome with { LiveTeacher = new CachingTeacher(new NoLiveCallsTeacher(teacher.CacheIdentity, outcome.Failures), caching.Cache) }
            : outcome;
    }

    private static OpenAiBatchApi? FindBatchApi(ITeacher teacher) => teacher switch
    {
        ChatClientTeacher chat => chat.BatchApi,
        BudgetedTeacher budgeted => FindBatchApi(budgeted.Inner),
        _ => null,
    };

    private async Task<(RowAnnotation Row, bool NoLabelFound)> AnnotateRowAsync(
        ITeacher teacher, CallCounter counter, ICompletionParser parser, TeacherPrompt prompt, TaskExample example, TeacherSampling sampling,
        TeacherPrices? prices, IReadOnlySet<string> batchedKeys, bool explain, CancellationToken token)
    {
        IReadOnlyList<TeacherCompletion> completions;
        try
        {
            completions = await counter.CompleteAsync(teacher, prompt, sampling, token).ConfigureAwait(false);
        }
        catch (TeacherCallFailedException e) when (!e.TeacherUnreachable)
        {
            return (new RowAnnotation(example.Id, "", "", AnnotationStatus.CallFailed, e.Message, null, 0, 0), false);
        }
        catch (KeyNotFoundException e) when (teacher is RecordedTeacher)
        {
            return (new RowAnnotation(example.Id, "", "", AnnotationStatus.CallFailed, e.Message, null, 0, 0), false);
        }
        if (batchedKeys.Count > 0)
        {
            // Answered by this run's batch: the live pass found them in the cache, but this run paid for them.
            completions = completions.Select((c, i) => c.Cached && batchedKeys.Contains(TeacherCallCache.ComputeKey(teacher.CacheIdentity, prompt, sampling, i))
                ? c with { Cached = false, Batched = true }
                : c).ToArray();
        }
        var usage = teacher is RecordedTeacher ? (Func<RowAnnotation, RowAnnotation>)(r => r) : Usage(prompt, completions, prices);

        var family = options.Schema!.Family;
        var parsed = completions.Select(c => parser.Parse(c.Text, example)).ToArray();
        var vote = SelfConsistencyVote.Decide(family, parsed);
        var agrees = !example.HasTarget ? (bool?)null : vote is { } v && family.SameAnswer(v.Winner.Label, example.Target);
        // Told the answer, the teacher's agreement with it is no accuracy.
        var correct = explain ? null : agrees;
        if (vote is not { } decided)
        {
            var first = parsed.Length > 0 ? parsed[0] : ParsedCompletion.Failed(ParseFailure.EmptyCompletion, "the teacher returned no completion");
            return (usage(new RowAnnotation(example.Id, first.Rationale, "", AnnotationStatus.ParseFailed, first.FailureReason, correct, 0, parsed.Length)
            {
                UnparsedCompletion = completions.Count > 0 ? completions[0].Text : "",
            }), first.NoLabelFound);
        }
        var label = decided.Winner.Label!;
        if (explain && agrees == false)
        {
            var reason = $"asked to explain the gold label \"{example.Target}\", the teacher argued for \"{label}\"";
            return (usage(new RowAnnotation(example.Id, decided.Winner.Rationale, label, AnnotationStatus.Filtered, reason, correct, decided.Votes, parsed.Length)), false);
        }
        if (options.FilterByGoldLabel && correct == false)
        {
            var reason = $"teacher label \"{label}\" disagrees with the gold label \"{example.Target}\"";
            return (usage(new RowAnnotation(example.Id, decided.Winner.Rationale, label, AnnotationStatus.Filtered, reason, correct, decided.Votes, parsed.Length)), false);
        }
        var status = decided.Winner.IsOk ? AnnotationStatus.Ok : AnnotationStatus.LabelOnly;
        var why = decided.Winner.IsOk ? null : "the teacher gave a label but no rationale";
        return (usage(new RowAnnotation(example.Id, decided.Winner.Rationale, label, status, why, correct, decided.Votes, parsed.Length)), false);
    }

    /// <summary>The prompt one row is sent as, without calling anything (exemplars bootstrapped by the run are not in it yet).</summary>
    public TeacherPrompt Preview(TaskExample example)
    {
        var schema = options.Schema!;
        var prompt = options.Prompt ?? RationalePrompt.ForFamily(schema, options.Markers ?? CompletionMarkers.DefaultFor(schema.Family));
        return PromptFor(prompt, example, options.Rationales == RationaleMode.ExplainGold);
    }

    /// <summary>
    /// The prompt of one row as this run asks it: the row's question, or (explain-gold) its gold label to explain; with
    /// the JSON response format, the completion's schema and an instruction that names its fields.
    /// </summary>
    private TeacherPrompt PromptFor(RationalePrompt prompt, TaskExample example, bool explain)
    {
        var built = explain ? prompt.BuildExplaining(example) : prompt.Build(example);
        return options.ResponseFormat != TeacherResponseFormat.Json
            ? built
            : built with
            {
                System = string.IsNullOrEmpty(built.System) ? AnswerSchema.Instruction : built.System + "\n\n" + AnswerSchema.Instruction,
                ResponseSchema = AnswerSchema.For(options.Schema!, example),
            };
    }

    /// <summary>
    /// Exemplars the teacher writes: up to <see cref="RationaleAnnotatorOptions.BootstrapExemplars"/> gold-labelled rows,
    /// taken in turn from each gold answer (in row order), are asked to explain their gold label; the completions that parse
    /// back to it, with a rationale, become the exemplars (inputs, rationale, gold label in the parser's spelling).
    /// </summary>
    /// <exception cref="InvalidOperationException">No completion explained its gold label (the message quotes one completion and its reason).</exception>
    private async Task<Bootstrap> BootstrapAsync(ITeacher teacher, RationalePrompt prompt, ICompletionParser parser, IReadOnlyList<TaskExample> examples,
        TeacherSampling sampling, TeacherPrices? prices, Action<string> log, CancellationToken cancellationToken)
    {
        var wanted = options.BootstrapExemplars;
        var queues = examples.Where(e => e.HasTarget)
            .GroupBy(e => AnswerComparer.Normalize(e.Target!))
            .Select(g => new Queue<TaskExample>(g))
            .ToList();
        var chosen = new List<TaskExample>();
        while (chosen.Count < wanted && queues.Any(q => q.Count > 0))
        {
            foreach (var queue in queues.Where(q => q.Count > 0))
            {
                if (chosen.Count < wanted)
                {
                    chosen.Add(queue.Dequeue());
                }
            }
        }
        if (chosen.Count == 0)
        {
            throw new InvalidOperationException("RationaleAnnotatorOptions.BootstrapExemplars: no row has a gold label to explain.");
        }
        var counter = new CallCounter(teacher as CachingTeacher);
        var exemplars = new List<PromptExemplar>();
        long promptTokens = 0, completionTokens = 0;
        double cost = 0;
        string? firstFailure = null;
        var zeroShot = prompt with { Exemplars = [] };
        foreach (var example in chosen)
        {
            var request = PromptFor(zeroShot, example, explain: true);
            var completions = await counter.CompleteAsync(teacher, request, sampling, cancellationToken).ConfigureAwait(false);
            var paid = Usage(request, completions, prices)(new RowAnnotation(example.Id, "", "", AnnotationStatus.Ok, null, null, 0, 0));
            promptTokens += paid.PaidPromptTokens;
            completionTokens += paid.PaidCompletionTokens;
            cost += paid.Cost ?? 0;
            var completion = completions.Count > 0 ? completions[0].Text : "";
            var parsed = parser.Parse(completion, example);
            if (parsed.IsOk && options.Schema!.Family.SameAnswer(parsed.Label, example.Target))
            {
                exemplars.Add(new PromptExemplar(example.Inputs, parsed.Rationale, parsed.Label!, example.Choices));
            }
            else
            {
                firstFailure ??= $"row {example.Id}: {(parsed.IsOk ? $"argued for \"{parsed.Label}\", not the gold \"{example.Target}\"" : parsed.Status == ParseStatus.LabelOnly ? "no rationale" : parsed.FailureReason)}; completion: {RowAnnotation.Shorten(completion)}";
            }
        }
        log($"bootstrap: {exemplars.Count} of {chosen.Count} explanations parse back to their gold label and become the exemplars");
        if (exemplars.Count == 0)
        {
            throw new InvalidOperationException($"RationaleAnnotatorOptions.BootstrapExemplars: none of the {chosen.Count} completions explained its gold label, so there are no exemplars; the first: {firstFailure}");
        }
        var stats = counter.Stats;
        return new Bootstrap(exemplars, stats.Calls, stats.CacheHits, promptTokens, completionTokens, cost);
    }

    private sealed record Bootstrap(IReadOnlyList<PromptExemplar> Exemplars, long Calls, long CacheHits, long PromptTokens, long CompletionTokens, double Cost);

    /// <summary>Adds a row's tokens (the server's usage, else estimated), its cached samples and what this run paid for it.</summary>
    private static Func<RowAnnotation, RowAnnotation> Usage(TeacherPrompt prompt, IReadOnlyList<TeacherCompletion> completions, TeacherPrices? prices)
    {
        long promptTokens = 0, completionTokens = 0;
        var estimated = false;
        var cost = 0d;
        var cachedSamples = 0;
        foreach (var c in completions)
        {
            estimated |= c.PromptTokens is null || c.CompletionTokens is null;
            var p = c.PromptTokens ?? TokenEstimator.PromptTokens(prompt);
            var k = c.CompletionTokens ?? TokenEstimator.Count(c.Text);
            promptTokens += p;
            completionTokens += k;
            if (c.Cached)
            {
                cachedSamples++;
            }
            else if (prices is not null)
            {
                cost += prices.Cost(p, k, c.Batched);
            }
        }
        return row => row with
        {
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TokensEstimated = estimated,
            CachedSamples = cachedSamples,
            Cost = prices is null ? null : cost,
            // Tokens of the calls this run made, for the report: kept on the side, not in the row's public fields.
            PaidPromptTokens = completions.Where(c => !c.Cached).Sum(c => (long)(c.PromptTokens ?? TokenEstimator.PromptTokens(prompt))),
            PaidCompletionTokens = completions.Where(c => !c.Cached).Sum(c => (long)(c.CompletionTokens ?? TokenEstimator.Count(c.Text))),
            PaidBatched = completions.Count(c => !c.Cached && c.Batched),
        };
    }

    private static AnnotationReport Report(string teacher, RowAnnotation[] rows, bool[] noLabel, IReadOnlyList<TaskExample> examples, TeacherCallStats stats,
        BatchOutcome batch, TeacherPrices? prices, CostBudget? budget, TimeSpan elapsed)
    {
        var counts = AnnotationStatus.All.ToDictionary(s => s, s => rows.Count(r => r.Status == s), StringComparer.Ordinal);
        var withGold = rows.Count(r => r.TeacherCorrect is not null);
        var correct = rows.Count(r => r.TeacherCorrect == true);
        var batched = rows.Sum(r => (long)r.PaidBatched);
        return new AnnotationReport(teacher, rows.Length, counts, noLabel.Count(b => b), 0,
            stats.Calls + batched, stats.CacheHits - batched, stats.Failures, rows.Sum(r => r.PaidPromptTokens), rows.Sum(r => r.PaidCompletionTokens), withGold, correct, elapsed)
        {
            GoldRows = examples.Count(e => e.HasTarget),
            TokensEstimated = rows.Any(r => r.TokensEstimated),
            Cost = prices is null ? null : rows.Sum(r => r.Cost ?? 0),
            BudgetReached = budget?.Reached == true || batch.BudgetReached,
            BatchedCalls = batched,
            BatchesCreated = batch.BatchesCreated,
        };
    }

    /// <summary>
    /// Whether a row has a gold label: an empty one is none (a row read from an <c>IDataView</c> without a label has an
    /// empty target, not a null one), so it neither counts as a gold row nor makes the teacher wrong.
    /// </summary>
    /// <summary>
    /// Counts this run's calls: the difference of a <see cref="CachingTeacher"/>'s stats since the run began, or, for a
    /// teacher without a cache (recorded), the calls made through <see cref="CompleteAsync"/>.
    /// </summary>
    private sealed class CallCounter(CachingTeacher? caching)
    {
        private readonly TeacherCallStats start = caching?.Stats ?? new TeacherCallStats(0, 0, 0, 0, 0);
        private long calls;
        private long failures;
        private long promptTokens;
        private long completionTokens;

        public TeacherCallStats Stats => caching is { } c
            ? new TeacherCallStats(c.Stats.Calls - start.Calls, c.Stats.CacheHits - start.CacheHits, c.Stats.Failures - start.Failures,
                c.Stats.PromptTokens - start.PromptTokens, c.Stats.CompletionTokens - start.CompletionTokens)
            : new TeacherCallStats(Interlocked.Read(ref calls), 0, Interlocked.Read(ref failures), Interlocked.Read(ref promptTokens), Interlocked.Read(ref completionTokens));

        public (long Calls, long Hits) CallsAndHits
        {
            get
            {
                var stats = Stats;
                return (stats.Calls, stats.CacheHits);
            }
        }

        public async Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(ITeacher teacher, TeacherPrompt prompt, TeacherSampling sampling, CancellationToken token)
        {
            if (caching is not null)
            {
                return await teacher.CompleteAsync(prompt, sampling, token).ConfigureAwait(false);
            }
            try
            {
                var completions = await teacher.CompleteAsync(prompt, sampling, token).ConfigureAwait(false);
                // The completions actually returned, not the samples asked for: a recorded teacher gives its one
                // recorded completion whatever sampling.Samples says. A call that returns nothing still was a call.
                Interlocked.Add(ref calls, Math.Max(1, completions.Count));
                Interlocked.Add(ref promptTokens, completions.Sum(c => (long)(c.PromptTokens ?? 0)));
                Interlocked.Add(ref completionTokens, completions.Sum(c => (long)(c.CompletionTokens ?? 0)));
                return completions;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref calls);
                Interlocked.Increment(ref failures);
                throw;
            }
        }
    }
}
