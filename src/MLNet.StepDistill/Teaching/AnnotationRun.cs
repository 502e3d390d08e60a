using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// One annotation run over task rows: prompts built, rows sent to the teacher concurrently (through the persistent
/// cache), completions parsed and voted on, filters applied, progress reported and logged. Results come back in row
/// order; a row whose calls fail ends <c>call-failed</c> instead of failing the run. Cancellation stops the run.
/// </summary>
internal sealed class AnnotationRun
{
    private readonly ITeacher _teacher;
    private readonly RationaleAnnotatorOptions _options;
    private readonly IChannelProvider? _log;

    public AnnotationRun(ITeacher teacher, RationaleAnnotatorOptions options, IChannelProvider? log)
    {
        _teacher = teacher;
        _options = options;
        _log = log;
    }

    public async Task<(RowAnnotation[] Rows, AnnotationReport Report)> RunAsync(IReadOnlyList<TaskExample> examples, CancellationToken cancellationToken)
    {
        var schema = _options.Schema!;
        var markers = _options.Markers ?? CompletionMarkers.DefaultFor(schema.Family);
        var annotator = new CompletionAnnotator(schema.Family, CompletionParsers.For(schema, markers));
        var prompt = _options.Prompt ?? RationalePrompt.ForFamily(schema, markers);
        var sampling = _options.Sampling;
        var concurrency = _options.MaxConcurrency ?? (_teacher is ChatClientTeacher chat ? chat.Options.MaxConcurrency : 8);

        using var channel = _log?.Start("RationaleAnnotator");
        var logLock = new Lock();
        var log = (string message) =>
        {
            lock (logLock)
            {
                channel?.Info(MessageSensitivity.None, message);
            }
        };
        TeacherCallCache? ownCache = null;
        var teacher = _teacher switch
        {
            CachingTeacher caching => caching,
            RecordedTeacher => _teacher,
            _ => new CachingTeacher(_teacher, ownCache = TeacherCallCache.Open(_options.CacheFolder ?? RationaleAnnotatorOptions.DefaultCacheFolder, message => log(message))),
        };
        var counter = new CallCounter(teacher as CachingTeacher);

        try
        {
            log(string.Create(CultureInfo.InvariantCulture, $"annotating {examples.Count} rows with teacher {teacher.CacheIdentity}: {sampling.Samples} sample(s) per row, temperature {sampling.Temperature}, {concurrency} rows at once"));
            var clock = Stopwatch.StartNew();
            var rows = new RowAnnotation[examples.Count];
            var noLabel = new bool[examples.Count];
            int done = 0, ok = 0, failed = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, examples.Count),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (i, token) =>
                {
                    (rows[i], noLabel[i]) = await AnnotateRowAsync(teacher, counter, annotator, prompt.Build(examples[i]), examples[i], sampling, token).ConfigureAwait(false);
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
                    _options.Progress?.Report(new AnnotationProgress(finished, examples.Count, Volatile.Read(ref ok), Volatile.Read(ref failed), calls, hits));
                    if (finished * 10L / examples.Count != (finished - 1) * 10L / examples.Count)
                    {
                        log($"annotated {finished}/{examples.Count} rows ({Volatile.Read(ref ok)} ok, {Volatile.Read(ref failed)} failed), {calls} calls, {hits} cache hits");
                    }
                }).ConfigureAwait(false);
            clock.Stop();
            var report = Report(teacher.CacheIdentity, rows, noLabel, counter.Stats, clock.Elapsed);
            log("done: " + report);
            return (rows, report);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            log($"cancelled; completions received so far stay in the cache, so a re-run resumes. Calls so far: {counter.Stats.Calls}");
            throw;
        }
        finally
        {
            ownCache?.Dispose();
        }

    }

    private async Task<(RowAnnotation Row, bool NoLabelFound)> AnnotateRowAsync(
        ITeacher teacher, CallCounter counter, CompletionAnnotator annotator, TeacherPrompt prompt, TaskExample example, TeacherSampling sampling, CancellationToken token)
    {
        IReadOnlyList<TeacherCompletion> completions;
        try
        {
            completions = await counter.CompleteAsync(teacher, prompt, sampling, token).ConfigureAwait(false);
        }
        catch (TeacherCallFailedException e)
        {
            return (new RowAnnotation(example.Id, "", "", AnnotationStatus.CallFailed, e.Message, null, 0, 0), false);
        }
        catch (KeyNotFoundException e) when (teacher is RecordedTeacher)
        {
            return (new RowAnnotation(example.Id, "", "", AnnotationStatus.CallFailed, e.Message, null, 0, 0), false);
        }

        var parsed = completions.Select(c => annotator.Parser.Parse(c.Text, example)).ToArray();
        var vote = SelfConsistencyVote.Decide(annotator.Family, parsed);
        bool? correct = example.Target is null ? null : vote is { } v && AnswerComparer.Same(annotator.Family, v.Winner.Label, example.Target);
        if (vote is not { } decided)
        {
            var first = parsed.Length > 0 ? parsed[0] : ParsedCompletion.Failed(ParseFailure.EmptyCompletion, "the teacher returned no completion");
            return (new RowAnnotation(example.Id, first.Rationale, "", AnnotationStatus.ParseFailed, first.FailureReason, correct, 0, parsed.Length), first.NoLabelFound);
        }
        var label = decided.Winner.Label!;
        if (_options.FilterByGoldLabel && correct == false)
        {
            var reason = $"teacher label \"{label}\" disagrees with the gold label \"{example.Target}\"";
            return (new RowAnnotation(example.Id, decided.Winner.Rationale, label, AnnotationStatus.Filtered, reason, correct, decided.Votes, parsed.Length), false);
        }
        return (new RowAnnotation(example.Id, decided.Winner.Rationale, label, AnnotationStatus.Ok, null, correct, decided.Votes, parsed.Length), false);
    }

    private static AnnotationReport Report(string teacher, RowAnnotation[] rows, bool[] noLabel, TeacherCallStats stats, TimeSpan elapsed)
    {
        var counts = AnnotationStatus.All.ToDictionary(s => s, s => rows.Count(r => r.Status == s), StringComparer.Ordinal);
        var withGold = rows.Count(r => r.TeacherCorrect is not null);
        var correct = rows.Count(r => r.TeacherCorrect == true);
        return new AnnotationReport(teacher, rows.Length, counts, noLabel.Count(b => b), 0,
            stats.Calls, stats.CacheHits, stats.Failures, stats.PromptTokens, stats.CompletionTokens, withGold, correct, elapsed);
    }

    /// <summary>
    /// Counts this run's calls: the difference of a <see cref="CachingTeacher"/>'s stats since the run began, or, for a
    /// teacher without a cache (recorded), the calls made through <see cref="CompleteAsync"/>.
    /// </summary>
    private sealed class CallCounter(CachingTeacher? caching)
    {
        private readonly TeacherCallStats _start = caching?.Stats ?? new TeacherCallStats(0, 0, 0, 0, 0);
        private long _calls;
        private long _failures;
        private long _promptTokens;
        private long _completionTokens;

        public TeacherCallStats Stats => caching is { } c
            ? new TeacherCallStats(c.Stats.Calls - _start.Calls, c.Stats.CacheHits - _start.CacheHits, c.Stats.Failures - _start.Failures,
                c.Stats.PromptTokens - _start.PromptTokens, c.Stats.CompletionTokens - _start.CompletionTokens)
            : new TeacherCallStats(Interlocked.Read(ref _calls), 0, Interlocked.Read(ref _failures), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _completionTokens));

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
                Interlocked.Add(ref _calls, Math.Max(1, completions.Count));
                Interlocked.Add(ref _promptTokens, completions.Sum(c => (long)(c.PromptTokens ?? 0)));
                Interlocked.Add(ref _completionTokens, completions.Sum(c => (long)(c.CompletionTokens ?? 0)));
                return completions;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref _calls);
                Interlocked.Increment(ref _failures);
                throw;
            }
        }
    }
}
