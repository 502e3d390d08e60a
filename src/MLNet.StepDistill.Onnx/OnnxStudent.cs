using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// A distilled student exported to ONNX, answering rows as the TorchSharp student's transformer does: the answering is
/// <see cref="StudentAnswerer"/>'s, shared with it; this class scores and generates with ONNX Runtime (the encoder runs
/// once per row, all rows of a call in one batch).
/// </summary>
public sealed class OnnxStudent : IDisposable
{
    private readonly StudentAnswerer answerer;

    private OnnxStudent(OnnxT5Model model, StudentAnswerSpec spec)
    {
        Model = model;
        answerer = new StudentAnswerer(new Runtime(model, spec), spec);
    }

    /// <summary>The graphs, tokenizer and manifest.</summary>
    public OnnxT5Model Model { get; }

    /// <summary>How the student answers (the manifest's <c>"student"</c> section).</summary>
    public StudentAnswerSpec Spec => answerer.Spec;

    /// <summary>The classes of <c>Score</c>: the labels, or the choice letters a, b, c, ...; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => Spec.ClassNames;

    /// <summary>Whether the target is open text (only <c>PredictedText</c>).</summary>
    public bool IsOpenTarget => Spec.IsOpenTarget;

    /// <summary>Whether the student answers multiple-choice rows (its classes are the positions of each row's choices).</summary>
    public bool IsMultipleChoice => Spec.IsMultipleChoice;

    /// <summary>Whether the student learned rationales (any mode but Standard).</summary>
    public bool CanExplain => Spec.CanExplain;

    /// <summary>Loads a folder written by a student's <c>ExportOnnx</c> (or <c>stepdistill export-onnx</c>).</summary>
    /// <exception cref="FileNotFoundException">The folder or one of its files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is broken, or the folder holds a plain T5 export without a student section (the message names the file).</exception>
    public static OnnxStudent Load(string folder, OnnxRuntimeOptions? options = null)
    {
        var model = OnnxT5Model.Load(folder, options);
        if (model.Manifest.Student is not { } spec)
        {
            model.Dispose();
            throw new InvalidDataException($"{Path.Combine(folder, OnnxStudentManifest.FileName)}: no \"student\" section: this is a plain T5 export; load it with OnnxT5Model.Load.");
        }

        return new OnnxStudent(model, spec);
    }

    /// <summary>Answers one row.</summary>
    /// <param name="input">The formatted task input (as the student's input column holds it).</param>
    /// <param name="choices">The row's choices (multiple-choice students only).</param>
    /// <param name="withRationale">Also generate the rationale.</param>
    public StudentAnswer Predict(string input, IReadOnlyList<string>? choices = null, bool withRationale = false) =>
        Answer([input], choices is null ? null : [choices], withRationale)[0];

    /// <summary>Answers a batch of rows; <paramref name="choices"/> holds each row's choices (multiple-choice only).</summary>
    /// <exception cref="ArgumentException">Rationales asked of a Standard-mode student, or a multiple-choice student without choices.</exception>
    public StudentAnswer[] Answer(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale) =>
        answerer.Answer(inputs, choices, withRationale);

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose() => Model.Dispose();

    /// <summary>Scoring and generation by ONNX Runtime, with the spec's lengths.</summary>
    private sealed class Runtime(OnnxT5Model model, StudentAnswerSpec spec) : IStudentRuntime
    {
        public string[] Generate(IReadOnlyList<string> inputs) =>
            model.Generate(inputs, new T5GenerationOptions { MaxNewTokens = spec.MaxTargetLength }, spec.MaxInputLength).ToArray();

        public float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates, ScoreAggregation aggregation = ScoreAggregation.Sum)
        {
            var tokenizer = model.Tokenizer;
            var encodedCandidates = candidates
                .Select(c => (IReadOnlyList<int[]>)c.Select(t => FirstTokenOr(tokenizer.Encode(t, addEos: true, spec.MaxTargetLength), aggregation)).ToArray())
                .ToArray();
            var scores = model.ScoreCandidates(tokenizer.EncodePadded(inputs, spec.MaxInputLength), encodedCandidates);
            if (aggregation == ScoreAggregation.Mean)
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

        private static int[] FirstTokenOr(int[] ids, ScoreAggregation aggregation) => aggregation == ScoreAggregation.FirstToken ? ids[..1] : ids;
    }
}
