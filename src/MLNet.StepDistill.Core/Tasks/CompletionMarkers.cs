namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Where a teacher's few-shot completion holds its answer: the completion is first cut at <see cref="CutAt"/>
/// (the start of an invented next exemplar), then split at <see cref="AnswerMarker"/>: the rationale is the text
/// before it, the label is read from the text after it.
/// </summary>
/// <param name="AnswerMarker">The text that introduces the answer, e.g. <c>"So the answer is"</c>.</param>
/// <param name="CutAt">The text at which the completion's own answer ends, e.g. <c>"Q:"</c>; null for no cut.</param>
public sealed record CompletionMarkers(string AnswerMarker, string? CutAt)
{
    /// <summary>
    /// The paper's markers per family: multiple-choice and classification <c>"So the answer is"</c> cut at <c>"Q:"</c>;
    /// math <c>"The answer is"</c> cut at <c>"Q:"</c>; nli <c>"So the answer is"</c> cut at <c>"Premise:"</c>
    /// (e-SNLI's prompt differs: its manifest sets <c>"Answer:"</c> cut at <c>"Premise"</c>).
    /// </summary>
    public static CompletionMarkers DefaultFor(TaskFamily family) => (family ?? throw new ArgumentNullException(nameof(family))).DefaultMarkers;
}
