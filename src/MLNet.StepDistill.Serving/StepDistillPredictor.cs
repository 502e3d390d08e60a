using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Serving;

/// <summary>
/// The dynamic-batching predictor behind <see cref="IStepDistillPredictor{TInput, TOutput}"/>: requests wait in a
/// queue; each of <see cref="StepDistillPredictorOptions.MaxConcurrentBatches"/> worker threads takes the first waiting
/// request, gathers more until it has <see cref="StepDistillPredictorOptions.MaxBatchSize"/> or
/// <see cref="StepDistillPredictorOptions.MaxWait"/> has passed (waiting only while another batch is running: an idle
/// model answers whatever is queued at once), runs the model's
/// <c>Transform</c> once over the batch and hands each caller its own row. Requests asking for the rationale queue
/// separately (their batches run the rationale-generating pipeline).
/// </summary>
/// <remarks>
/// Inputs are checked before they are queued (<see cref="StepDistillRequestException"/>), so one bad request never
/// fails a batch; should a batch fail anyway, its rows are answered one at a time and only the failing row's caller
/// gets the error. Disposing stops taking requests, answers those already queued, then frees the model when the
/// predictor owns it (the DI registration does: the host's shutdown disposes it).
/// </remarks>
public sealed class StepDistillPredictor<TInput, TOutput> : IStepDistillPredictor<TInput, TOutput>, IDisposable
    where TInput : class
    where TOutput : class, new()
{
    private readonly StepDistillPredictorOptions options;
    private readonly bool ownsModel;
    private readonly RequestFields<TInput> fields;
    private readonly SchemaDefinition inputDefinition;
    private readonly Lane plain;
    private readonly object laneLock = new();
    private volatile Lane? explaining;
    private long requests;
    private long batches;
    private long rows;
    private volatile bool disposed;

    /// <summary>Serves <paramref name="model"/> with <paramref name="options"/>' batching settings.</summary>
    /// <param name="model">The model (<see cref="StepDistillServedModel.Load"/> or <see cref="StepDistillServedModel.From"/>).</param>
    /// <param name="options">Batching and input limits; <see cref="StepDistillPredictorOptions.ModelPath"/> is not read.</param>
    /// <param name="ownsModel">Whether disposing the predictor disposes <paramref name="model"/>.</param>
    /// <exception cref="InvalidOperationException"><typeparamref name="TInput"/> lacks a column the model reads (the message names it).</exception>
    public StepDistillPredictor(StepDistillServedModel model, StepDistillPredictorOptions options, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        this.options = options;
        this.ownsModel = ownsModel;
        inputDefinition = SchemaDefinition.Create(typeof(TInput), SchemaDefinition.Direction.Read);
        fields = new RequestFields<TInput>(inputDefinition, model.RequiredFields, options.MaxFieldLength);

        // The model's pipeline must accept the request rows: checked once here, so a missing column fails at startup.
        var empty = new MLContext().Data.LoadFromEnumerable(Array.Empty<TInput>(), inputDefinition);
        try
        {
            model.Pipeline.GetOutputSchema(empty.Schema);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{typeof(TInput).Name} does not fit the model {model.Source}: {ex.Message}", ex);
        }

        plain = new Lane(this, model.Pipeline, "answers");
    }

    /// <summary>Loads <see cref="StepDistillPredictorOptions.ModelPath"/> and serves it; the predictor owns the model.</summary>
    public static StepDistillPredictor<TInput, TOutput> Load(StepDistillPredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RequireModelPath();
        options.Validate();
        var model = StepDistillServedModel.Load(options.ModelPath, options);
        try
        {
            return new StepDistillPredictor<TInput, TOutput>(model, options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public StepDistillServedModel Model { get; }

    /// <inheritdoc/>
    public StepDistillPredictorStatistics Statistics =>
        new(Interlocked.Read(ref requests), Interlocked.Read(ref batches), Interlocked.Read(ref rows), plain.Count + (explaining?.Count ?? 0));

    /// <inheritdoc/>
    public Task<TOutput> PredictAsync(TInput input, bool rationale = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TOutput>(cancellationToken);
        }

        var pending = new Pending(input, cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            fields.Check(input);
            if (rationale && !Model.CanExplain)
            {
                throw new StepDistillRequestException(null, "This student was trained in Standard mode and gives no rationale; ask without rationale.");
            }

            (rationale ? Explaining() : plain).Add(pending);
        }
        catch (Exception ex) when (ex is StepDistillRequestException or StepDistillOverloadedException or ObjectDisposedException)
        {
            pending.Fail(ex);
            return pending.Task;
        }

        Interlocked.Increment(ref requests);
        return pending.Task;
    }

    /// <summary>Stops taking requests, answers those already queued, and frees the model when the predictor owns it.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        plain.Complete();
        lock (laneLock)
        {
            explaining?.Complete();
        }

        if (ownsModel)
        {
            Model.Dispose();
        }
    }

    private Lane Explaining()
    {
        if (explaining is { } ready)
        {
            return ready;
        }

        lock (laneLock)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return explaining ??= new Lane(this, Model.Explaining, "rationales");
        }
    }

    /// <summary>Answers <paramref name="batch"/> with one Transform; on failure, row by row so only the failing rows' callers see it.</summary>
    private void Run(BatchView view, List<Pending> batch)
    {
        Interlocked.Increment(ref batches);
        Interlocked.Add(ref rows, batch.Count);
        try
        {
            var answers = view.Answer(batch.Select(p => p.Input).ToArray());
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Complete(answers[i]);
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                try
                {
                    pending.Complete(view.Answer([pending.Input])[0]);
                }
                catch (Exception ex)
                {
                    pending.Fail(ex);
                }
            }
        }
        catch (Exception ex)
        {
            batch[0].Fail(ex);
        }
    }

    /// <summary>
    /// One worker's view of the pipeline, built once: the rows of the current batch, read by ML.NET as a streaming data
    /// view, transformed, and read back as <typeparamref name="TOutput"/> rows. Each batch replaces the rows and reads
    /// the same enumerable again (a fresh cursor), so ML.NET binds the schema and builds its row accessors once per
    /// worker, not once per batch.
    /// </summary>
    private sealed class BatchView
    {
        private readonly CurrentRows current = new();
        private readonly IEnumerable<TOutput> answers;

        public BatchView(StepDistillPredictor<TInput, TOutput> owner, ITransformer transformer)
        {
            var ml = new MLContext();
            var scored = transformer.Transform(ml.Data.LoadFromEnumerable(current, owner.inputDefinition));
            answers = ml.Data.CreateEnumerable<TOutput>(scored, reuseRowObject: false, ignoreMissingColumns: true);
        }

        public List<TOutput> Answer(TInput[] inputs)
        {
            current.Rows = inputs;
            try
            {
                var result = answers.ToList();
                return result.Count == inputs.Length
                    ? result
                    : throw new InvalidOperationException($"The model answered {result.Count} rows for a batch of {inputs.Length}.");
            }
            finally
            {
                current.Rows = [];
            }
        }

        /// <summary>The batch being answered; not a list, so ML.NET streams it anew for every cursor.</summary>
        private sealed class CurrentRows : IEnumerable<TInput>
        {
            public TInput[] Rows { get; set; } = [];

            public IEnumerator<TInput> GetEnumerator() => ((IEnumerable<TInput>)Rows).GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }

    /// <summary>One request: its row, and the task its caller awaits.</summary>
    private sealed class Pending
    {
        private readonly TaskCompletionSource<TOutput> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration registration;

        public Pending(TInput input, CancellationToken cancellationToken)
        {
            Input = input;
            if (cancellationToken.CanBeCanceled)
            {
                registration = cancellationToken.Register(static state => ((Pending)state!).completion.TrySetCanceled(), this);
            }
        }

        public TInput Input { get; }

        public Task<TOutput> Task => completion.Task;

        /// <summary>Cancelled by its caller while waiting: the batch leaves it out.</summary>
        public bool IsDone => completion.Task.IsCompleted;

        public void Complete(TOutput output)
        {
            registration.Dispose();
            completion.TrySetResult(output);
        }

        public void Fail(Exception error)
        {
            registration.Dispose();
            completion.TrySetException(error);
        }
    }

    /// <summary>A queue and the worker threads that answer it with one pipeline.</summary>
    private sealed class Lane
    {
        private readonly StepDistillPredictor<TInput, TOutput> owner;
        private readonly BlockingCollection<Pending> queue;
        private readonly Thread[] workers;
        private int running;

        public Lane(StepDistillPredictor<TInput, TOutput> owner, ITransformer transformer, string name)
        {
            this.owner = owner;
            queue = new BlockingCollection<Pending>(new ConcurrentQueue<Pending>(), owner.options.MaxQueueLength);
            workers = new Thread[owner.options.MaxConcurrentBatches];
            var views = workers.Select(_ => new BatchView(owner, transformer)).ToArray();
            for (var i = 0; i < workers.Length; i++)
            {
                var view = views[i];
                workers[i] = new Thread(() => Work(view)) { IsBackground = true, Name = $"StepDistill {name} {i + 1}" };
                workers[i].Start();
            }
        }

        public int Count => queue.Count;

        public void Add(Pending pending)
        {
            bool added;
            try
            {
                added = queue.TryAdd(pending);
            }
            catch (InvalidOperationException)
            {
                throw new ObjectDisposedException(nameof(StepDistillPredictor<TInput, TOutput>), "The predictor is shutting down.");
            }

            if (!added)
            {
                throw new StepDistillOverloadedException($"{queue.BoundedCapacity} requests are already waiting (MaxQueueLength); try again later.");
            }
        }

        /// <summary>Takes no more requests; the workers answer those queued, then end.</summary>
        public void Complete()
        {
            queue.CompleteAdding();
            foreach (var worker in workers)
            {
                if (worker != Thread.CurrentThread)
                {
                    worker.Join();
                }
            }
        }

        private void Work(BatchView view)
        {
            var max = owner.options.MaxBatchSize;
            var wait = (long)(owner.options.MaxWait.TotalSeconds * Stopwatch.Frequency);
            var batch = new List<Pending>(max);
            while (!queue.IsCompleted)
            {
                Pending first;
                try
                {
                    first = queue.Take();
                }
                catch (InvalidOperationException)
                {
                    break; // completed while waiting
                }

                if (first.IsDone)
                {
                    continue;
                }

                batch.Add(first);

                // Company is worth waiting for only while another batch keeps the model busy; an idle model answers at once.
                var deadline = Volatile.Read(ref running) > 0 ? Stopwatch.GetTimestamp() + wait : 0;
                while (batch.Count < max)
                {
                    if (!queue.TryTake(out var next))
                    {
                        var left = deadline - Stopwatch.GetTimestamp();
                        if (left <= 0 || !queue.TryTake(out next, (int)Math.Ceiling(left * 1000.0 / Stopwatch.Frequency)))
                        {
                            break;
                        }
                    }

                    if (!next.IsDone)
                    {
                        batch.Add(next);
                    }
                }

                Interlocked.Increment(ref running);
                try
                {
                    owner.Run(view, batch);
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                    batch.Clear();
                }
            }
        }
    }
}
