namespace MLNet.StepDistill.Teaching;

/// <summary>A snapshot of what a <see cref="CachingTeacher"/> has done so far.</summary>
/// <param name="Calls">Completions asked of the wrapped teacher (one per missing sample; HTTP retries not counted).</param>
/// <param name="CacheHits">Completions answered from the cache.</param>
/// <param name="Failures">Calls that failed (retries spent or refused); cancellations not counted.</param>
/// <param name="PromptTokens">Prompt tokens of the calls made, as the server reported them.</param>
/// <param name="CompletionTokens">Completion tokens of the calls made, as the server reported them.</param>
public sealed record TeacherCallStats(long Calls, long CacheHits, long Failures, long PromptTokens, long CompletionTokens);
