namespace MLNet.StepDistill.Teaching;

/// <summary>One request of a provider batch: a sample the cache lacks. Its <c>custom_id</c> is its cache key.</summary>
internal sealed record BatchRequest(string Key, TeacherPrompt Prompt, TeacherSampling Sampling, int Sample);

/// <summary>What the batch step of a run did.</summary>
/// <param name="BatchesCreated">Batches created by this run (resumed ones not counted).</param>
/// <param name="AnsweredKeys">Cache keys a batch answered in this run (now in the cache).</param>
/// <param name="Failures">Cache keys that failed inside a batch, with the reason.</param>
/// <param name="BudgetReached">Requests were left out of batches because they could pass the budget.</param>
internal sealed record BatchOutcome(int BatchesCreated, IReadOnlySet<string> AnsweredKeys, IReadOnlyDictionary<string, string> Failures, bool BudgetReached)
{
    public static BatchOutcome None { get; } = new(0, new HashSet<string>(), new Dictionary<string, string>(), false);

    /// <summary>The teacher the live pass uses instead of the real one (no live retries), or <c>null</c>.</summary>
    public ITeacher? LiveTeacher { get; init; }
}
