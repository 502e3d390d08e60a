using MLNet.StepDistill.Teaching;

namespace MLNet.StepDistill;

/// <summary>The annotation part of <c>mlContext.StepDistill()</c>.</summary>
public sealed partial class StepDistillCatalog
{
    /// <summary>
    /// Step one of Distilling Step-by-Step: a <see cref="RationaleAnnotator"/> that asks <paramref name="teacher"/> for a
    /// rationale and a label per row, through the persistent cache, and adds <c>Rationale</c>, <c>TeacherLabel</c> and
    /// <c>AnnotationStatus</c> columns. Progress is logged to <c>MLContext.Log</c> (source <c>RationaleAnnotator</c>).
    /// </summary>
    /// <param name="teacher">A <see cref="ChatClientTeacher"/> (any <c>IChatClient</c>, e.g. <see cref="OpenAiCompatibleTeacher.Create"/>), a <see cref="RecordedTeacher"/>, or a <see cref="CachingTeacher"/>.</param>
    /// <param name="options">Schema, prompt, samples, cache folder, filters; <see cref="RationaleAnnotatorOptions.ForDataset"/> is a good start.</param>
    /// <exception cref="ArgumentException">An option is missing or out of range (the message names it).</exception>
    public RationaleAnnotator AnnotateRationales(ITeacher teacher, RationaleAnnotatorOptions options) => new(MLContext, teacher, options);
}
