using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Deployment;

/// <summary>
/// Answers rows with a trained student, the same way for both runtimes and in validation: closed sets (labels, or each
/// row's choices) score each class's text by its likelihood after the <c>"predict: "</c> input (<see cref="ClassScores"/>);
/// open targets generate; rationales are generated from the <c>"explain: "</c> input on request. Single-task students
/// first generate "rationale So the answer is ..." and then score each class after their own rationale.
/// </summary>
/// <remarks>
/// Holds no state of its own: calls from several threads at once are as safe as the runtime's
/// <see cref="IStudentRuntime.ScoreTargets"/> and <see cref="IStudentRuntime.Generate"/> are.
/// </remarks>
/// <param name="runtime">The student's weights, run by TorchSharp or ONNX Runtime.</param>
/// <param name="spec">How the student answers.</param>
public sealed class StudentAnswerer(IStudentRuntime runtime, StudentAnswerSpec spec)
{
    /// <summary>How the student answers.</summary>
    public StudentAnswerSpec Spec => spec;

    /// <summary>Answers a batch of rows; <paramref name="choices"/> holds each row's choices (multiple-choice students only).</summary>
    /// <exception cref="ArgumentException">Rationales asked of a Standard-mode student, or a multiple-choice student without each row's choices.</exception>
    public StudentAnswer[] Answer(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        if (withRationale && !spec.CanExplain)
        {
            throw new ArgumentException("A student trained in Standard mode never learned rationales; train StepByStep or SingleTask to generate them.", nameof(withRationale));
        }

        if (inputs.Count == 0)
        {
            return [];
        }

        return spec.Mode == TrainingMode.SingleTask ? AnswerSingleTask(inputs, choices) : AnswerMultiTask(inputs, choices, withRationale);
    }

    private StudentAnswer[] AnswerMultiTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        var prefixed = inputs.Select(i => spec.PredictPrefix + i).ToArray();
        var rationales = withRationale
            ? runtime.Generate(inputs.Select(i => spec.ExplainPrefix + i).ToArray())
            : new string[inputs.Count];
        if (spec.IsOpenTarget)
        {
            var texts = runtime.Generate(prefixed);
            return texts.Select((t, i) => new StudentAnswer([], -1, t.Trim(), rationales[i]?.Trim() ?? "")).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var logLikelihoods = runtime.ScoreTargets(prefixed, candidates, spec.ScoreAggregation);
        return Enumerable.Range(0, inputs.Count)
            .Select(i => Classified(logLikelihoods[i], candidates[i], rationales[i]?.Trim() ?? ""))
            .ToArray();
    }

    private StudentAnswer[] AnswerSingleTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        var split = runtime.Generate(inputs).Select(g => SingleTaskFormat.Split(g, spec.AnswerMarker)).ToArray();
        if (spec.IsOpenTarget)
        {
            return split.Select(s => new StudentAnswer([], -1, s.Answer, s.Rationale)).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var joined = candidates
            .Select((row, i) => (IReadOnlyList<string>)row.Select(label => SingleTaskFormat.Join(split[i].Rationale, label, spec.AnswerMarker)).ToArray())
            .ToArray();
        var logLikelihoods = runtime.ScoreTargets(inputs, joined, spec.ScoreAggregation);
        return Enumerable.Range(0, inputs.Count)
            .Select(i => Classified(logLikelihoods[i], candidates[i], split[i].Rationale))
            .ToArray();
    }

    private IReadOnlyList<string>[] CandidatesPerRow(int count, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        if (!spec.IsMultipleChoice)
        {
            return Enumerable.Repeat<IReadOnlyList<string>>(spec.Labels, count).ToArray();
        }

        if (choices is null || choices.Count != count)
        {
            throw new ArgumentException($"This student answers multiple-choice rows; give each row's choices (the column \"{spec.ChoicesColumnName}\").", nameof(choices));
        }

        return choices.Select(c => (IReadOnlyList<string>)c.Take(spec.ChoiceCount).ToArray()).ToArray();
    }

    private StudentAnswer Classified(float[] logLikelihoods, IReadOnlyList<string> candidates, string rationale)
    {
        var scores = ClassScores.Softmax(logLikelihoods, spec.ClassCount);
        var best = ClassScores.ArgMax(scores, logLikelihoods.Length);
        return new StudentAnswer(scores, best, best >= 0 ? candidates[best] : "", rationale);
    }
}
