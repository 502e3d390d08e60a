namespace MLNet.StepDistill.Serving;

/// <summary>
/// A distilled student answering one row per call, thread-safe: concurrent calls are gathered into batches that one
/// ML.NET <c>Transform</c> answers, and each caller gets its own row's result. Register it with
/// <c>services.AddStepDistillPredictor&lt;TInput, TOutput&gt;(modelPath)</c>.
/// </summary>
/// <typeparam name="TInput">The request row: the dataset's raw fields as ML.NET columns (e.g. <c>[ColumnName("premise")]</c>).</typeparam>
/// <typeparam name="TOutput">The answer row: the student's columns (<c>Score</c>, <c>PredictedText</c>, <c>PredictedRationale</c>, ...).</typeparam>
public interface IStepDistillPredictor<in TInput, TOutput>
    where TInput : class
    where TOutput : class, new()
{
    /// <summary>The model being served: its classes, required fields, runtime.</summary>
    StepDistillServedModel Model { get; }

    /// <summary>Counters since the predictor started (requests, batches, rows).</summary>
    StepDistillPredictorStatistics Statistics { get; }

    /// <summary>
    /// Answers <paramref name="input"/>, with the student's rationale when <paramref name="rationale"/> is set. The row
    /// waits for a batch; every error below comes through the returned task.
    /// </summary>
    /// <exception cref="StepDistillRequestException">A required field is missing or empty, a field is too long, or a rationale was asked of a student that has none.</exception>
    /// <exception cref="StepDistillOverloadedException">Too many requests are waiting.</exception>
    /// <exception cref="ObjectDisposedException">The predictor (the host) is shutting down.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the row's batch ran.</exception>
    Task<TOutput> PredictAsync(TInput input, bool rationale = false, CancellationToken cancellationToken = default);
}

/// <summary>What a predictor has done so far.</summary>
/// <param name="Requests">Requests accepted into a batch queue.</param>
/// <param name="Batches">Batches run (a batch that failed and was answered row by row counts once).</param>
/// <param name="Rows">Rows answered in those batches.</param>
/// <param name="Queued">Requests waiting now.</param>
public sealed record StepDistillPredictorStatistics(long Requests, long Batches, long Rows, int Queued)
{
    /// <summary>Rows per batch on average (0 before the first batch).</summary>
    public double MeanBatchSize => Batches == 0 ? 0 : (double)Rows / Batches;
}
