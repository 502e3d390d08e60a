namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its action at once on the thread that reports, one report at a time (reports
/// from several threads, such as concurrent annotation calls or runs side by side, are serialised).
/// <see cref="Progress{T}"/> posts each report to the captured synchronization context or the thread pool instead, so
/// reports can arrive late, out of order or after the work returned; training, experiment, sweep and annotation progress
/// use this one.
/// </summary>
/// <typeparam name="T">The report.</typeparam>
/// <param name="report">What to do with each report.</param>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Action<T> report = report ?? throw new ArgumentNullException(nameof(report));
    private readonly Lock gate = new();

    /// <inheritdoc/>
    public void Report(T value)
    {
        lock (gate)
        {
            report(value);
        }
    }
}
