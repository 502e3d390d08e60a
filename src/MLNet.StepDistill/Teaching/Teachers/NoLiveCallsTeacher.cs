namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Stands in for the live teacher after batches when failed requests are not to be asked live
/// (<see cref="BatchRetryMode.FollowUpBatch"/>): every call fails with the reason the batch gave.
/// </summary>
internal sealed class NoLiveCallsTeacher(string cacheIdentity, IReadOnlyDictionary<string, string> batchFailures) : ITeacher
{
    public string CacheIdentity => cacheIdentity;

    public Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        // The caching teacher asks one sample at a time without saying which; the reason of any sample of this prompt will do.
        var reason = Enumerable.Range(0, 64).Select(i => batchFailures.GetValueOrDefault(TeacherCallCache.ComputeKey(cacheIdentity, prompt, sampling, i)))
            .FirstOrDefault(r => r is not null) ?? "no answer from the batch";
        return Task.FromException<IReadOnlyList<TeacherCompletion>>(
            new TeacherCallFailedException($"Failed inside the provider batch and not retried live (BatchRetryMode.FollowUpBatch): {reason}", attempts: 1, lastStatus: null));
    }
}
