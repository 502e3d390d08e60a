using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// A T5 exported by <c>ExportOnnx</c> (or <c>stepdistill export-onnx</c>), run by ONNX Runtime: encoding, decoder logits,
/// per-candidate log-likelihoods and greedy or beam generation with the key/value cache, with the same results as
/// the TorchSharp <c>T5ForConditionalGeneration</c> it came from (HF 4.36 semantics). No TorchSharp or libtorch involved.
/// </summary>
/// <remarks>Thread-safe for concurrent calls (ONNX Runtime sessions are).</remarks>
public sealed class OnnxT5Model : IDisposable
{
    private readonly InferenceSession encoder;
    private readonly InferenceSession decoder;
    private readonly string[] encoderOutputs;
    private readonly string[] decoderInputs;
    private readonly string[] decoderOutputs;

    private OnnxT5Model(string folder, OnnxStudentManifest manifest, T5Tokenizer tokenizer, InferenceSession encoder, InferenceSession decoder)
    {
        Folder = folder;
        Manifest = manifest;
        Tokenizer = tokenizer;
        this.encoder = encoder;
        this.decoder = decoder;
        var layers = manifest.Model.DecoderLayers;
        encoderOutputs = ["encoder_hidden_states", .. Enumerable.Range(0, layers).SelectMany(i => new[] { $"cross_key_{i}", $"cross_value_{i}" })];
        decoderInputs =
        [
            "decoder_input_ids", "encoder_attention_mask",
            .. Enumerable.Range(0, layers).SelectMany(i => new[] { $"past_key_{i}", $"past_value_{i}" }),
            .. Enumerable.Range(0, layers).SelectMany(i => new[] { $"cross_key_{i}", $"cross_value_{i}" }),
            .. manifest.DecoderScoresTargets ? new[] { TargetIdsInput } : [],
        ];
        decoderOutputs = ["logits", .. Enumerable.Range(0, layers).SelectMany(i => new[] { $"present_key_{i}", $"present_value_{i}" })];
        Check(encoder, ["input_ids", "attention_mask"], encoderOutputs, Path.Combine(folder, OnnxStudentManifest.EncoderFileName), manifest);
        Check(decoder, decoderInputs, manifest.DecoderScoresTargets ? [.. decoderOutputs, TargetLogProbsOutput] : decoderOutputs, Path.Combine(folder, OnnxStudentManifest.DecoderFileName), manifest);
    }

    private const string TargetIdsInput = "target_ids";

    private const string TargetLogProbsOutput = "target_log_probs";

    /// <summary>The folder the model was loaded from.</summary>
    public string Folder { get; }

    /// <summary>The manifest: architecture facts, special ids, and (for a student) how it answers.</summary>
    public OnnxStudentManifest Manifest { get; }

    /// <summary>The tokenizer saved with the graphs.</summary>
    public T5Tokenizer Tokenizer { get; }

    /// <summary>
    /// Loads an exported folder: checks the manifest, loads the tokenizer and creates both ONNX Runtime sessions (which
    /// validates the graphs).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder or one of its files is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">The manifest, tokenizer or a graph is broken (the message names the file).</exception>
    public static OnnxT5Model Load(string folder, OnnxRuntimeOptions? options = null)
    {
        var manifest = OnnxStudentManifest.Load(folder);
        var tokenizerPath = Path.Combine(folder, OnnxStudentManifest.TokenizerFileName);
        T5Tokenizer tokenizer;
        try
        {
            tokenizer = T5Tokenizer.FromFile(tokenizerPath, manifest.Model.VocabSize);
        }
        catch (Exception ex) when (ex is not FileNotFoundException and not InvalidDataException)
        {
            throw new InvalidDataException($"{tokenizerPath}: cannot read the tokenizer: {ex.Message}", ex);
        }

        using var sessionOptions = (options ?? new OnnxRuntimeOptions()).ToSessionOptions();
        var encoder = Session(Path.Combine(folder, OnnxStudentManifest.EncoderFileName), sessionOptions);
        try
        {
            var decoder = Session(Path.Combine(folder, OnnxStudentManifest.DecoderFileName), sessionOptions);
            try
            {
                return new OnnxT5Model(folder, manifest, tokenizer, encoder, decoder);
            }
            catch
            {
                decoder.Dispose();
                throw;
            }
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Runs the encoder graph on padded ids [rows, width] and their mask.</summary>
    public OnnxEncoderOutput Encode(T5PaddedIds inputs)
    {
        var facts = Manifest.Model;
        using var ids = OrtValue.CreateTensorValueFromMemory(inputs.Ids, [inputs.Rows, inputs.Width]);
        using var mask = OrtValue.CreateTensorValueFromMemory(inputs.Mask, [inputs.Rows, inputs.Width]);
        using var runOptions = new RunOptions();
        using var outputs = encoder.Run(runOptions, ["input_ids", "attention_mask"], [ids, mask], encoderOutputs);
        var hidden = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var keys = new float[facts.DecoderLayers][];
        var values = new float[facts.DecoderLayers][];
        for (var i = 0; i < facts.DecoderLayers; i++)
        {
            keys[i] = outputs[1 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
            values[i] = outputs[2 + 2 * i].GetTensorDataAsSpan<float>().ToArray();
        }

        return new OnnxEncoderOutput(inputs.Rows, inputs.Width, facts.DModel, hidden, keys, values, (long[])inputs.Mask.Clone());
    }

    /// <summary>Teacher-forced decoder logits [rows, decoder width, vocab] for decoder ids [rows, width] (no cache kept).</summary>
    public float[] DecoderLogits(long[] decoderIds, int width, OnnxEncoderOutput encoded)
    {
        using var cache = new OnnxDecoderCache(this, encoded);
        return Step(cache, decoderIds, width);
    }

    /// <summary>
    /// Log-likelihood of every candidate target for every input: result[i][c] is the summed log-probability of candidate
    /// c's tokens (EOS included) given input i. Inputs are encoded once, as one batch; each input's encoder output is
    /// repeated per candidate.
    /// </summary>
    /// <param name="inputs">Source ids.</param>
    /// <param name="candidates">Per input, its candidate targets as token ids (ending in EOS).</param>
    public float[][] ScoreCandidates(T5PaddedIds inputs, IReadOnlyList<IReadOnlyList<int[]>> candidates)
    {
        if (candidates.Count != inputs.Rows)
        {
            throw new ArgumentException($"Give one candidate list per input ({inputs.Rows}), got {candidates.Count}.", nameof(candidates));
        }

        var result = candidates.Select(c => new float[c.Count]).ToArray();
        var owners = candidates.SelectMany((list, i) => list.Select(_ => i)).ToArray();
        if (owners.Length == 0)
        {
            return result;
        }

        var encoded = Encode(inputs).SelectRows(owners);
        var targets = candidates.SelectMany(c => c).ToArray();
        var width = targets.Max(t => t.Length);
        var facts = Manifest.Model;
        var decoderIds = new long[targets.Length * width];
        for (var r = 0; r < targets.Length; r++)
        {
            decoderIds[r * width] = facts.DecoderStartTokenId;
            for (var t = 1; t < width; t++)
            {
                decoderIds[r * width + t] = t - 1 < targets[r].Length ? targets[r][t - 1] : facts.PadTokenId;
            }
        }

        var logProbabilities = TargetLogProbabilities(decoderIds, targets, width, encoded);
        var next = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            for (var c = 0; c < candidates[i].Count; c++, next++)
            {
                var sum = 0f;
                for (var t = 0; t < targets[next].Length; t++)
                {
                    sum += logProbabilities[(next * width) + t];
                }

                result[i][c] = sum;
            }
        }

        return result;
    }

    /// <summary>
    /// The log-probability of every target token at its position [rows, width] (teacher-forced; positions past a
    /// target's end are not read). Format 2 folders compute it inside the decoder graph (<c>target_log_probs</c>:
    /// only rows x width floats leave ONNX Runtime); format 1 folders return the logits, whose log-softmax is taken here.
    /// </summary>
    internal float[] TargetLogProbabilities(long[] decoderIds, int[][] targets, int width, OnnxEncoderOutput encoded)
    {
        var pad = Manifest.Model.PadTokenId;
        using var cache = new OnnxDecoderCache(this, encoded);
        if (Manifest.DecoderScoresTargets)
        {
            var targetIds = new long[targets.Length * width];
            for (var r = 0; r < targets.Length; r++)
            {
                for (var t = 0; t < width; t++)
                {
                    targetIds[r * width + t] = t < targets[r].Length ? targets[r][t] : pad;
                }
            }

            using var ids = OrtValue.CreateTensorValueFromMemory(decoderIds, [cache.Rows, width]);
            using var targetValue = OrtValue.CreateTensorValueFromMemory(targetIds, [cache.Rows, width]);
            using var runOptions = new RunOptions();
            using var outputs = decoder.Run(runOptions, decoderInputs, DecoderFeeds(cache, ids, targetValue), [TargetLogProbsOutput]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        var logits = Step(cache, decoderIds, width);
        var vocab = Manifest.Model.VocabSize;
        var result = new float[targets.Length * width];
        for (var r = 0; r < targets.Length; r++)
        {
            for (var t = 0; t < targets[r].Length; t++)
            {
                result[r * width + t] = LogSoftmaxAt(logits.AsSpan(((r * width) + t) * vocab, vocab), targets[r][t]);
            }
        }

        return result;
    }

    /// <summary>Generates target ids (greedy, or beam search when <see cref="T5GenerationOptions.NumBeams"/> &gt; 1), starting with the decoder start token; finished rows are padded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException"><see cref="T5GenerationOptions.UseCache"/> is false: ONNX Runtime always decodes with the key/value cache.</exception>
    public long[][] Generate(T5PaddedIds inputs, T5GenerationOptions? options = null)
    {
        options ??= new T5GenerationOptions();
        options.Validate();
        if (!options.UseCache)
        {
            throw new ArgumentException(
                $"{nameof(T5GenerationOptions)}.{nameof(T5GenerationOptions.UseCache)} = false: the ONNX runtime always decodes with the key/value cache (the same results); " +
                "recomputing the prefix each step is the TorchSharp model's check of its cache. Leave UseCache true.", nameof(options));
        }

        var encoded = Encode(inputs);
        return options.NumBeams == 1 ? OnnxGreedySearch.Run(this, encoded, options) : OnnxBeamSearch.Run(this, encoded, options);
    }

    /// <summary>Tokenizes <paramref name="inputs"/>, generates, and decodes the outputs (special tokens skipped).</summary>
    public IReadOnlyList<string> Generate(IReadOnlyList<string> inputs, T5GenerationOptions? options = null, int? maxInputLength = null)
    {
        if (inputs.Count == 0)
        {
            return [];
        }

        var sequences = Generate(Tokenizer.EncodePadded(inputs, maxInputLength), options);
        return sequences.Select(ids => Tokenizer.Decode(ids)).ToArray();
    }

    /// <summary>Releases both sessions.</summary>
    public void Dispose()
    {
        encoder.Dispose();
        decoder.Dispose();
    }

    /// <summary>Runs one decoder step of <paramref name="width"/> positions per row, advances the cache, and returns the logits [rows, width, vocab].</summary>
    internal float[] Step(OnnxDecoderCache cache, long[] decoderIds, int width)
    {
        var layers = Manifest.Model.DecoderLayers;
        using var ids = OrtValue.CreateTensorValueFromMemory(decoderIds, [cache.Rows, width]);
        using var noTargets = Manifest.DecoderScoresTargets ? OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Int64, [cache.Rows, 0]) : null;
        using var runOptions = new RunOptions();
        var outputs = decoder.Run(runOptions, decoderInputs, DecoderFeeds(cache, ids, noTargets), decoderOutputs);
        float[] logits;
        using (var logitsValue = outputs[0])
        {
            logits = logitsValue.GetTensorDataAsSpan<float>().ToArray();
        }

        cache.Advance(
            Enumerable.Range(0, layers).Select(i => outputs[1 + 2 * i]).ToArray(),
            Enumerable.Range(0, layers).Select(i => outputs[2 + 2 * i]).ToArray(),
            width);
        return logits;
    }

    /// <summary>The decoder's inputs in <see cref="decoderInputs"/> order; <paramref name="targetIds"/> only for a format-2 graph (empty [rows, 0] when nothing is scored).</summary>
    private List<OrtValue> DecoderFeeds(OnnxDecoderCache cache, OrtValue ids, OrtValue? targetIds)
    {
        var layers = Manifest.Model.DecoderLayers;
        var inputs = new List<OrtValue>(decoderInputs.Length) { ids, cache.EncoderMask };
        for (var i = 0; i < layers; i++)
        {
            inputs.Add(cache.PastKeys[i]);
            inputs.Add(cache.PastValues[i]);
        }

        for (var i = 0; i < layers; i++)
        {
            inputs.Add(cache.CrossKeys[i]);
            inputs.Add(cache.CrossValues[i]);
        }

        if (Manifest.DecoderScoresTargets)
        {
            inputs.Add(targetIds ?? throw new ArgumentNullException(nameof(targetIds), "A format-2 decoder graph needs target_ids."));
        }

        return inputs;
    }

    /// <summary>log_softmax(row)[index], computed as torch does (max-shifted, float32), vectorized.</summary>
    internal static float LogSoftmaxAt(ReadOnlySpan<float> row, int index) => row[index] - LogSumExp(row);

    /// <summary>The whole log_softmax of a row.</summary>
    internal static void LogSoftmax(ReadOnlySpan<float> row, Span<float> destination) =>
        TensorPrimitives.Subtract(row, LogSumExp(row), destination);

    /// <summary>max + log(sum(exp(row - max))).</summary>
    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        var max = TensorPrimitives.Max(row);
        var shifted = System.Buffers.ArrayPool<float>.Shared.Rent(row.Length);
        try
        {
            var span = shifted.AsSpan(0, row.Length);
            TensorPrimitives.Subtract(row, max, span);
            TensorPrimitives.Exp(span, span);
            return max + MathF.Log(TensorPrimitives.Sum(span));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(shifted);
        }
    }

    private static InferenceSession Session(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load this graph (is the folder from ExportOnnx, and complete?): {ex.Message}", ex);
        }
    }

    private static void Check(InferenceSession session, string[] inputs, string[] outputs, string path, OnnxStudentManifest manifest)
    {
        var missingInputs = inputs.Where(i => !session.InputMetadata.ContainsKey(i)).ToArray();
        var missingOutputs = outputs.Where(o => !session.OutputMetadata.ContainsKey(o)).ToArray();
        var extraInputs = session.InputMetadata.Keys.Where(i => !inputs.Contains(i)).ToArray();
        if (missingInputs.Length > 0 || missingOutputs.Length > 0 || extraInputs.Length > 0)
        {
            throw new InvalidDataException(
                $"{path}: the graph does not match manifest.json (format_version {manifest.FormatVersion}; missing inputs: {string.Join(", ", missingInputs.DefaultIfEmpty("none"))}; " +
                $"missing outputs: {string.Join(", ", missingOutputs.DefaultIfEmpty("none"))}; unexpected inputs: {string.Join(", ", extraInputs.DefaultIfEmpty("none"))}). " +
                "Export the folder again (stepdistill export-onnx, or ExportOnnx) so that the graphs and the manifest come from one version.");
        }
    }
}
