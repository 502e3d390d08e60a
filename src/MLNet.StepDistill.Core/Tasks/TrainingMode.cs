namespace MLNet.StepDistill.Tasks;

/// <summary>What the student learns to output; the paper's comparisons are one value of this apart.</summary>
public enum TrainingMode
{
    /// <summary>
    /// Label only: <c>"predict: x" -&gt; label</c>. With gold labels this is standard fine-tuning; with teacher labels it is
    /// standard task distillation. Equal to <see cref="StepByStep"/> with alpha 1.
    /// </summary>
    Standard,

    /// <summary>
    /// Distilling step-by-step: <c>"predict: x" -&gt; label</c> and <c>"explain: x" -&gt; rationale</c> as two tasks of one
    /// model, loss = alpha * label loss + (1 - alpha) * rationale loss.
    /// </summary>
    StepByStep,

    /// <summary>
    /// The paper's single-task ablation: <c>x -&gt; "rationale So the answer is label"</c> as one output; the label is
    /// read after the marker at inference.
    /// </summary>
    SingleTask,
}
