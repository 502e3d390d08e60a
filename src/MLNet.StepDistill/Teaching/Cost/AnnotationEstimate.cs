namespace MLNet.StepDistill.Teaching;

/// <summary>
/// What an annotation run would ask and cost, counted without calling the teacher (a dry run): the requests the cache
/// lacks, their prompt tokens (counted with the <c>o200k_base</c> tokenizer) and an estimate of their completion tokens.
/// </summary>
/// <param name="Teacher">The teacher's cache identity.</param>
/// <param name="Rows">Input rows.</param>
/// <param name="Requests">Requests the run would make (one per missing sample; identical prompts counted once).</param>
/// <param name="CachedSamples">Samples the cache already holds (or that repeat an earlier row's prompt).</param>
/// <param name="PromptTokens">Prompt tokens of those requests.</param>
/// <param name="CompletionTokensPerRequest">The completion length assumed per request.</param>
/// <param name="CompletionTokens">Estimated completion tokens of those requests.</param>
/// <param name="Cost">Estimated cost with live calls, when prices are set.</param>
/// <param name="BatchCost">Estimated cost through a provider batch (with the batch discount), when prices are set.</param>
public sealed record AnnotationEstimate(
    string Teacher, int Rows, long Requests, long CachedSamples, long PromptTokens, int CompletionTokensPerRequest, long CompletionTokens,
    double? Cost, double? BatchCost);
