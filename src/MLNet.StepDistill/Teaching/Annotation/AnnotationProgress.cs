namespace MLNet.StepDistill.Teaching;

/// <summary>How far an annotation run is; reported after every finished row.</summary>
/// <param name="Done">Rows finished so far.</param>
/// <param name="Total">Rows in the run.</param>
/// <param name="Ok">Rows finished <c>ok</c> so far.</param>
/// <param name="Failed">Rows finished <c>call-failed</c> or <c>parse-failed</c> so far.</param>
/// <param name="Calls">Teacher calls made so far (cache hits not counted).</param>
/// <param name="CacheHits">Completions answered from the cache so far.</param>
public sealed record AnnotationProgress(int Done, int Total, int Ok, int Failed, long Calls, long CacheHits);
