using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// A distilled student exported to ONNX, answering rows as the TorchSharp student's transformer does: closed label sets
/// score each class's text by its likelihood after the <c>"predict: "</c> input (the encoder runs once per row, all rows
/// of a call in one batch); open targets generate; rationales are generated from the <c>"explain: "</c> input on
/// request; single-task students generate "rationale So the answer is ..." and score each label after their rationale.
/// </summary>
public sealed class OnnxStudent : IDisposable
{
    private readonly OnnxStudentFacts facts;

    private OnnxStudent(OnnxT5Model model, OnnxStudentFacts facts)
    {
        Model = model;
        this.facts = facts;
    }

    /// <summary>The graphs, tokenizer and manifest.</summary>
    public OnnxT5Model Model { get; }

    /// <summary>How the student answers (from the manifest).</summary>
    public OnnxStudentFacts Facts => facts;

    /// <summary>The classes of <c>Score</c>: the labels, or the choice letters a, b, c, ...; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => facts.AnswerKind switch
    {
        "FixedLabels" => facts.Labels,
        "Choices" => Enumerable.Range(0, facts.ChoiceCount).Select(i => ((char)('a' + i)).ToString()).ToArray(),
        _ => [],
    };

    /// <summary>Whether the target is open text (only <c>PredictedText</c>).</summary>
    public bool IsOpenTarget => facts.AnswerKind == "OpenText";

    /// <summary>Whether the student answers multiple-choice rows (its classes are the positions of each row's choices).</summary>
    public bool IsMultipleChoice => facts.AnswerKind == "Choices";

    /// <summary>Whether the student learned rationales (any mode but Standard).</summary>
    public bool CanExplain => facts.Mode != "Standard";

    /// <summary>Loads a folder written by a student's <c>ExportOnnx</c> (or <c>stepdistill export-onnx</c>).</summary>
    /// <exception cref="FileNotFoundException">The folder or one of its files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is broken, or the folder holds a plain T5 export without a student section (the message names the file).</exception>
    public static OnnxStudent Load(string folder, OnnxRuntimeOptions? options = null)
    {
        var model = OnnxT5Model.Load(folder, options);
        if (model.Manifest.Student is not { } facts)
        {
            model.Dispose();
            throw new InvalidDataException($"{Path.Combine(folder, OnnxStudentManifest.FileName)}: no \"student\" section: this is a plain T5 export; load it with OnnxT5Model.Load.");
        }

        return new OnnxStudent(model, facts);
    }

    /// <summary>Answers one row.</summary>
    /// <param name="input">The formatted task input (as the student's input column holds it).</param>
    /// <param name="choices">The row's choices (multiple-choice students only).</param>
    /// <param name="withRationale">Also generate the rationale.</param>
    public OnnxStudentAnswer Predict(string input, IReadOnlyList<string>? choices = null, bool withRationale = false) =>
        Answer([input], choices is null ? null : [choices], withRationale)[0];

    /// <summary>Answers a batch of rows; <paramref name="choices"/> holds each row's choices (multiple-choice only).</summary>
    /// <exception cref="ArgumentException">Rationales asked of a Standard-mode student, or a multiple-choice student without choices.</exception>
    public OnnxStudentAnswer[] Answer(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        if (withRationale && !CanExplain)
        {
            throw new ArgumentException("A student trained in Standard mode never learned rationales; train StepByStep or SingleTask to generate them.", nameof(withRationale));
        }

        if (inputs.Count == 0)
        {
            return [];
        }

        return facts.Mode == "SingleTask" ? AnswerSingleTask(inputs, choices) : AnswerMultiTask(inputs, choices, withRationale);
    }

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose() => Model.Dispose();

    private OnnxStudentAnswer[] AnswerMultiTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        var prefixed = inputs.Select(i => facts.PredictPrefix + i).ToArray();
        var rationales = withRationale ? Generate(inputs.Select(i => facts.ExplainPrefix + i).ToArray()) : new string[inputs.Count];
        if (IsOpenTarget)
        {
            var texts = Generate(prefixed);
            return texts.Select((t, i) => new OnnxStudentAnswer([], -1, t.Trim(), rationales[i]?.Trim() ?? "")).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var logLikelihoods = Score(prefixed, candidates);
        return Enumerable.Range(0, inputs.Count).Select(i => Classified(logLikelihoods[i], candidates[i], rationales[i]?.Trim() ?? "")).ToArray();
    }

    private OnnxStudentAnswer[] AnswerSingleTask(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        var split = Generate(inputs).Select(SplitAtMarker).ToArray();
        if (IsOpenTarget)
        {
            return split.Select(s => new OnnxStudentAnswer([], -1, s.Answer, s.Rationale)).ToArray();
        }

        var candidates = CandidatesPerRow(inputs.Count, choices);
        var joined = candidates.Select((row, i) => (IReadOnlyList<string>)row.Select(label => split[i].Rationale.TrimEnd() + facts.AnswerMarker + label).ToArray()).ToArray();
        var logLikelihoods = Score(inputs, joined);
        return Enumerable.Range(0, inputs.Count).Select(i => Classified(logLikelihoods[i], candidates[i], split[i].Rationale)).ToArray();
    }

    private string[] Generate(IReadOnlyList<string> inputs) =>
        Model.Generate(inputs, new OnnxGenerationOptions { MaxNewTokens = facts.MaxTargetLength }, facts.MaxInputLength).ToArray();

    private float[][] Score(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates)
    {
        var tokenizer = Model.Tokenizer;
        var firstTokenOnly = facts.ScoreAggregation == "FirstToken";
        var encodedCandidates = candidates
            .Select(c => (IReadOnlyList<int[]>)c.Select(t => FirstTokenOr(tokenizer.Encode(t, addEos: true, facts.MaxTargetLength), firstTokenOnly)).ToArray())
            .ToArray();
        var scores = Model.ScoreCandidates(tokenizer.EncodePadded(inputs, facts.MaxInputLength), encodedCandidates);
        if (facts.ScoreAggregation == "Mean")
        {
            // Per-token mean, as the TorchSharp student scores with ScoreAggregation.Mean (EOS counted, as in the sum).
            for (var i = 0; i < scores.Length; i++)
            {
                for (var c = 0; c < scores[i].Length; c++)
                {
                    scores[i][c] = encodedCandidates[i][c].Length == 0 ? 0f : scores[i][c] / encodedCandidates[i][c].Length;
                }
            }
        }

        return scores;
    }

    private static int[] FirstTokenOr(int[] ids, bool firstTokenOnly) => firstTokenOnly ? ids[..1] : ids;

    private IReadOnlyList<string>[] CandidatesPerRow(int count, IReadOnlyList<IReadOnlyList<string>>? choices)
    {
        if (facts.AnswerKind == "FixedLabels")
        {
            return Enumerable.Repeat<IReadOnlyList<string>>(facts.Labels, count).ToArray();
        }

        if (choices is null || choices.Count != count)
        {
            throw new ArgumentException($"This student answers multiple-choice rows; give each row's choices (the column \"{facts.ChoicesColumn}\").", nameof(choices));
        }

        return choices.Select(c => (IReadOnlyList<string>)c.Take(facts.ChoiceCount).ToArray()).ToArray();
    }

    private OnnxStudentAnswer Classified(float[] logLikelihoods, IReadOnlyList<string> candidates, string rationale)
    {
        var classCount = facts.AnswerKind == "FixedLabels" ? facts.Labels.Length : facts.ChoiceCount;
        var scores = ClassScores.Softmax(logLikelihoods, classCount);
        var best = ClassScores.ArgMax(scores, logLikelihoods.Length);
        return new OnnxStudentAnswer(scores, best, best >= 0 ? candidates[best] : "", rationale);
    }

    private (string Rationale, string Answer) SplitAtMarker(string generated)
    {
        var marker = facts.AnswerMarker.Trim();
        var at = generated.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        return at < 0
            ? ("", generated.Trim())
            : (generated[..at].Trim(), generated[(at + marker.Length)..].Trim().TrimEnd('.').Trim());
    }
}
