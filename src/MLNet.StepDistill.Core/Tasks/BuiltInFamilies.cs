namespace MLNet.StepDistill.Tasks;

/// <summary>The paper's four task families (reached through <see cref="TaskFamily.MultipleChoiceQa"/> and its siblings).</summary>
internal static class BuiltInFamilies
{
    /// <summary>
    /// CommonsenseQA: the 7 exemplars of Wei et al. (2022),
    /// <c>Q: ...\nAnswer Choices:\n(a) ...\nA: &lt;rationale&gt; So the answer is (c) television.</c>
    /// </summary>
    internal sealed class MultipleChoiceQaFamily : TaskFamily
    {
        public override string Name => "multiple-choice-qa";

        public override TaskAnswerKind AnswerKind => TaskAnswerKind.Choice;

        public override IReadOnlyList<string> ExemplarInputKeys => ["question"];

        public override ITaskFormat CreateFormat(string endOfSequence = NliFormat.T5EndOfSequence) => new MultipleChoiceFormat();

        public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers) =>
            new("Q: {input}\nAnswer Choices:\n{choices}\nA:", " {rationale} " + markers.AnswerMarker.Trim() + " ({letter}) {label}.");

        public override IReadOnlyList<PromptExemplar> DefaultExemplars(CompletionMarkers markers) => ShippedExemplars.Cqa;
    }

    /// <summary>
    /// NLI: our ANLI exemplars, <c>Premise: ...\nHypothesis: ...\nAnswer: &lt;rationale&gt; So the answer is contradiction.</c>,
    /// or, when the answer marker is <c>"Answer:"</c>, our e-SNLI ones,
    /// <c>Premise: ...\nHypothesis: ...\nReasonings: &lt;rationale&gt;\nAnswer: entailment</c>.
    /// </summary>
    internal sealed class NliFamily : TaskFamily
    {
        public override string Name => "nli";

        public override TaskAnswerKind AnswerKind => TaskAnswerKind.Label;

        public override int? InputFieldCount => 2;

        public override LabelSetRule LabelSet => LabelSetRule.Required;

        public override CompletionMarkers DefaultMarkers => new("So the answer is", "Premise:");

        public override IReadOnlyList<string> ExemplarInputKeys => ["premise", "hypothesis"];

        public override ITaskFormat CreateFormat(string endOfSequence = NliFormat.T5EndOfSequence) => new NliFormat(endOfSequence);

        public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers)
        {
            var marker = markers.AnswerMarker.Trim();
            return IsEsnliLayout(markers)
                ? new("Premise: {input1}\nHypothesis: {input2}\nReasonings:", " {rationale}\n" + marker + " {label}")
                : new("Premise: {input1}\nHypothesis: {input2}\nAnswer:", " {rationale} " + marker + " {label}.");
        }

        public override IReadOnlyList<PromptExemplar> DefaultExemplars(CompletionMarkers markers) =>
            IsEsnliLayout(markers) ? ShippedExemplars.Esnli : ShippedExemplars.Anli;

        private static bool IsEsnliLayout(CompletionMarkers markers) => markers.AnswerMarker.Trim() == "Answer:";
    }

    /// <summary>SVAMP: the 8 math exemplars of Wei et al. (2022), <c>Q: ...\nA: &lt;rationale&gt; The answer is (21 - 15).</c></summary>
    internal sealed class MathFamily : TaskFamily
    {
        public override string Name => "math";

        public override TaskAnswerKind AnswerKind => TaskAnswerKind.Equation;

        public override CompletionMarkers DefaultMarkers => new("The answer is", "Q:");

        public override IReadOnlyList<string> ExemplarInputKeys => ["question"];

        public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers) =>
            new("Q: {input}\nA:", " {rationale} " + markers.AnswerMarker.Trim() + " ({label}).");

        public override IReadOnlyList<PromptExemplar> DefaultExemplars(CompletionMarkers markers) => ShippedExemplars.Svamp;
    }

    /// <summary>
    /// Text classification: <c>Q: ...\nA: &lt;rationale&gt; So the answer is &lt;label&gt;.</c>, zero-shot unless the
    /// dataset gives exemplars, with an instruction that names the label set.
    /// </summary>
    internal sealed class ClassificationFamily : TaskFamily
    {
        public override string Name => "classification";

        public override TaskAnswerKind AnswerKind => TaskAnswerKind.Label;

        public override IReadOnlyList<string> ExemplarInputKeys => ["text"];

        public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers)
        {
            var marker = markers.AnswerMarker.Trim();
            return new("Q: {input}\nA:", " {rationale} " + marker + " {label}.")
            {
                Header = "Answer each question step by step, then end with \"" + marker + " <label>.\""
                    + (schema.Labels is { Count: > 0 } labels ? " The label is one of: " + string.Join(", ", labels) + "." : ""),
            };
        }
    }
}
