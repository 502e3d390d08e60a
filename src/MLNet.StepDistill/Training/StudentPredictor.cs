using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Answers rows with a trained student, the same way in validation and in the ML.NET transformer:
/// closed sets score each class's text by its likelihood (<see cref="ClassScores"/>), open targets generate.
/// Single-task students first generate "rationale So the answer is ..." and then score each label after their own rationale.
/// </summary>
/// <remarks>
/// Not serialised: the cursors of a cursor set call <see cref="Answer"/> from several threads at once. Each call works in
/// its own dispose scope, grad mode and decoder cache (all per thread or per call in TorchSharp and this library), and
/// only reads the weights; switching the module to eval mode is idempotent.
/// </remarks>
internal sealed class StudentPredictor(ISeq2SeqStudent student, StudentHead head)
{
    public StudentHead Head => head;

    public ISeq2SeqStudent Student => student;

    /// <summary>Answers a batch of rows; <paramref name="choices"/> holds each row's choices (multiple-choice only).</summary>
    public StudentAnswer[] Answer(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        student.Module.eval();
        return head.Mode == TrainingMode.SingleTask ? AnswerSingleTask(inputs, choices) : AnswerMultiTask(inputs, choices, withRationale);
    }

    private StudentAnswer[] AnswerMultiTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        var prefixed = inputs.Select(i => TaskPrefixes.Predict + i).ToArray();
        var rationales = withRationale
            ? student.Generate(inputs.Select(i => TaskPrefixes.Explain + i).ToArray())
            : new string[inputs.Count];
        if (head.Kind == AnswerKind.OpenText)
        {
            var texts = student.Generate(prefixed);
            return texts.Select((t, i) => new StudentAnswer([], -1, t.Trim(), rationales[i]?.Trim() ?? "")).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var logLikelihoods = student.ScoreTargets(prefixed, candidates, head.ScoreAggregation);
        return Enumerable.Range(0, inputs.Count)
            .Select(i => Classified(logLikelihoods[i], candidates[i], rationales[i]?.Trim() ?? ""))
            .ToArray();
    }

    private StudentAnswer[] AnswerSingleTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        var generated = student.Generate(inputs);
        var split = generated.Select(SplitAtMarker).ToArray();
        if (head.Kind == AnswerKind.OpenText)
        {
            return split.Select(s => new StudentAnswer([], -1, s.Answer, s.Rationale)).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var joined = candidates
            .Select((row, i) => (IReadOnlyList<string>)row.Select(label => MultiTaskStep.SingleTaskTarget(split[i].Rationale, label)).ToArray())
            .ToArray();
        var logLikelihoods = student.ScoreTargets(inputs, joined, head.ScoreAggregation);
        return Enumerable.Range(0, inputs.Count)
            .Select(i => Classified(logLikelihoods[i], candidates[i], split[i].Rationale))
            .ToArray();
    }

    private IReadOnlyList<string>[] CandidatesPerRow(int count, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        if (head.Kind == AnswerKind.FixedLabels)
        {
            return Enumerable.Repeat<IReadOnlyList<string>>(head.Labels, count).ToArray();
        }

        if (choices is null)
        {
            throw new InvalidOperationException($"This student answers multiple-choice rows; the data needs the choices column \"{head.ChoicesColumnName}\".");
        }

        return choices.Select(c => (IReadOnlyList<string>)c.Take(head.ChoiceCount).ToArray()).ToArray();
    }

    private StudentAnswer Classified(float[] logLikelihoods, IReadOnlyList<string> candidates, string rationale)
    {
        var classCount = head.Kind == AnswerKind.FixedLabels ? head.Labels.Length : head.ChoiceCount;
        var scores = ClassScores.Softmax(logLikelihoods, classCount);
        var best = ClassScores.ArgMax(scores, logLikelihoods.Length);
        return new StudentAnswer(scores, best, best >= 0 ? candidates[best] : "", rationale);
    }

    /// <summary>Splits a single-task output at "So the answer is": (rationale, answer); the whole text is the answer when the marker is missing.</summary>
    internal static (string Rationale, string Answer) SplitAtMarker(string generated)
    {
        var marker = SingleTaskFormat.AnswerMarker.Trim();
        var at = generated.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        return at < 0
            ? ("", generated.Trim())
            : (generated[..at].Trim(), generated[(at + marker.Length)..].Trim().TrimEnd('.').Trim());
    }
}
