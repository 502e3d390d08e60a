namespace MLNet.StepDistill.Tasks;

/// <summary>
/// One worked example of a few-shot prompt: a question (its input fields, and choices for multiple-choice), the
/// rationale that answers it and the label the rationale arrives at.
/// </summary>
/// <param name="Inputs">The input field values in the task schema's order (e.g. <c>[question]</c>, <c>[premise, hypothesis]</c>).</param>
/// <param name="Rationale">The chain of thought, without the answer sentence.</param>
/// <param name="Label">The answer: a choice's text, a class label, or (math) an equation such as <c>21 - 15</c>.</param>
/// <param name="Choices">The answer choices (multiple-choice), otherwise empty.</param>
public sealed record PromptExemplar(IReadOnlyList<string> Inputs, string Rationale, string Label, IReadOnlyList<string> Choices)
{
    /// <summary>An exemplar without choices.</summary>
    public PromptExemplar(IReadOnlyList<string> inputs, string rationale, string label)
        : this(inputs, rationale, label, [])
    {
    }
}
