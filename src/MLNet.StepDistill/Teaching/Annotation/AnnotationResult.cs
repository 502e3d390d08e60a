using Microsoft.ML;

namespace MLNet.StepDistill.Teaching;

/// <summary>What one annotation run gives: the annotated data, the per-row decisions and the run's report.</summary>
/// <param name="Data">The input columns plus <c>Rationale</c>, <c>TeacherLabel</c> and <c>AnnotationStatus</c>; repeatable.</param>
/// <param name="Rows">Every input row's annotation, in input order (dropped rows included).</param>
/// <param name="Report">Counts, calls, cache hits, tokens and teacher accuracy.</param>
public sealed record AnnotationResult(IDataView Data, IReadOnlyList<RowAnnotation> Rows, AnnotationReport Report)
{
    /// <summary>
    /// The few-shot exemplars the run's prompts used: the teacher's own when
    /// <see cref="RationaleAnnotatorOptions.BootstrapExemplars"/> was set (save them with <c>ExemplarFile.Write</c>
    /// to review and reuse), else the prompt's.
    /// </summary>
    public IReadOnlyList<Tasks.PromptExemplar> Exemplars { get; init; } = [];
}
