using MLNet.StepDistill.Files;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// T5 encoder-decoder with a language-model head, numerically equal to Hugging Face's
/// <c>T5ForConditionalGeneration</c> (v4.36) and reading/writing its checkpoint folders. Parameter names are the HF
/// state-dict keys (<c>shared.weight</c>, <c>encoder.block.0.layer.0.SelfAttention.q.weight</c>, ...).
/// </summary>
/// <remarks>
/// Train with <see cref="Forward"/> (labels give the HF loss) and any TorchSharp optimizer over
/// <c>parameters()</c>; switch dropout with <c>train()</c>/<c>eval()</c>. Infer with <see cref="Generate(Tensor, Tensor, T5GenerationOptions?)"/>
/// and <see cref="ScoreTargets"/>. Wrap calls in <c>torch.NewDisposeScope()</c> to free the tensors they return.
/// </remarks>
public sealed class T5ForConditionalGeneration : nn.Module
{
    /// <summary>The label value that <see cref="Forward"/> and <see cref="ScoreTargets"/> ignore.</summary>
    public const long IgnoreIndex = -100;

    // Scalars the forward passes use, held for the life of the process: a Scalar made implicitly for one call can be
    // finalized by the GC while libtorch still reads it (see T5LayerNorm).
    private static readonly Scalar IgnoreIndexScalar = IgnoreIndex.ToScalar();
    private static readonly Scalar OneScalar = 1.0f.ToScalar();
    private static readonly Scalar ZeroScalar = 0.ToScalar();
    private static readonly Scalar MaskedOutScalar = float.MinValue.ToScalar();

#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Embedding shared;
    private readonly T5Stack encoder;
    private readonly T5Stack decoder;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006
    private readonly T5Autocast autocast = new();

    /// <summary>
    /// A model with fresh weights, initialised as Hugging Face initialises T5 (normal with the per-layer standard
    /// deviations of <c>T5PreTrainedModel._init_weights</c>), on the CPU in float32, in training mode (dropout on).
    /// Seed with <c>torch.manual_seed</c>.
    /// </summary>
    /// <param name="config">The architecture (see <see cref="T5Presets"/> and <see cref="T5Config.Load"/>).</param>
    /// <param name="tokenizer">The tokenizer saved with the model by <see cref="SavePretrained"/>, if any.</param>
    public T5ForConditionalGeneration(T5Config config, T5Tokenizer? tokenizer = null) : this(config, tokenizer, initialize: true)
    {
    }

    internal T5ForConditionalGeneration(T5Config config, T5Tokenizer? tokenizer, bool initialize) : base(nameof(T5ForConditionalGeneration))
    {
        NativeTorch.EnsureLoaded();
        config.Validate("T5 config");
        Config = config.Clone();
        Tokenizer = tokenizer;
        shared = nn.Embedding(config.VocabSize, config.DModel);
        encoder = new T5Stack(config, isDecoder: false, autocast);
        decoder = new T5Stack(config, isDecoder: true, autocast);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        }

        RegisterComponents();
        if (initialize)
        {
            T5Initializer.Initialize(this, config);
        }
    }

    /// <summary>The architecture.</summary>
    public T5Config Config { get; }

    /// <summary>The tokenizer that travels with the model (loaded from and saved as <c>spiece.model</c>), if any.</summary>
    public T5Tokenizer? Tokenizer { get; set; }

    /// <summary>
    /// The generator every dropout of the model draws its masks from in training; null (default): torch's process-wide
    /// generator (seeded by <c>torch.manual_seed</c>). A training run gives its model a generator of its own so that runs
    /// training side by side in one process do not share one random stream. The model does not own it: whoever sets it
    /// disposes it. Evaluation mode has no dropout and draws nothing.
    /// </summary>
    public Generator? DropoutGenerator
    {
        get => dropoutGenerator;
        set
        {
            dropoutGenerator = value;
            foreach (var dropout in modules().OfType<T5Dropout>())
            {
                dropout.Generator = value;
            }
        }
    }

    private Generator? dropoutGenerator;

    /// <summary>The device the weights live on.</summary>
    public Device Device { get; private set; } = CPU;

    /// <summary>How the model computes (float32, or bf16 matrix products).</summary>
    public T5Precision Precision
    {
        get => autocast.LowPrecision is null ? T5Precision.Float32 : T5Precision.BFloat16;
        set => autocast.LowPrecision = value == T5Precision.BFloat16 ? ScalarType.BFloat16 : null;
    }

    /// <summary>
    /// Loads a Hugging Face T5 checkpoint folder (<c>config.json</c> + <c>model.safetensors</c>, sharded safetensors or
    /// <c>pytorch_model.bin</c>, and <c>spiece.model</c> when present). The model is returned in eval mode (dropout
    /// off), as HF's <c>from_pretrained</c> does; call <c>train()</c> before training.
    /// </summary>
    /// <param name="folder">The folder <c>save_pretrained</c> (or <see cref="SavePretrained"/>) wrote.</param>
    /// <param name="device">Where to put the model; default <see cref="T5Devices.Default"/> (CUDA when available).</param>
    /// <param name="precision">Default: bf16 on CUDA, float32 on CPU.</param>
    /// <exception cref="FileNotFoundException">No config or no weights in the folder.</exception>
    /// <exception cref="ModelFormatException">Bad config or one beyond <see cref="T5Config"/>'s limits, malformed or truncated weights, missing/unexpected keys, wrong dtypes or shapes (checked before the model is built; the message names the file and keys).</exception>
    /// <exception cref="FileIntegrityException"><c>pytorch_model.bin</c> fails a zip entry's CRC-32.</exception>
    public static T5ForConditionalGeneration FromPretrained(string folder, Device? device = null, T5Precision? precision = null) =>
        T5CheckpointReader.Load(folder, device ?? T5Devices.Default, precision);

    /// <summary>
    /// Writes <c>config.json</c>, <c>model.safetensors</c> (HF key names, float32, aliases dropped as HF does) and
    /// <c>spiece.model</c> when the model has a tokenizer, so that <see cref="FromPretrained"/> and Hugging Face read it back.
    /// </summary>
    public void SavePretrained(string folder) => T5CheckpointWriter.Save(this, folder);

    /// <summary>Moves the model to <paramref name="device"/> and sets the precision (default: bf16 on CUDA, float32 elsewhere).</summary>
    public T5ForConditionalGeneration To(Device device, T5Precision? precision = null)
    {
        this.to(device);
        Device = device;
        Precision = precision ?? T5Devices.DefaultPrecision(device);
        return this;
    }

    /// <summary>
    /// Decoder inputs from labels as HF's <c>_shift_right</c>: start token first, labels shifted right by one, -100 replaced by pad.
    /// </summary>
    public static Tensor ShiftRight(Tensor labels, long decoderStartTokenId = 0, long padTokenId = 0)
    {
        using var scope = NewDisposeScope();
        var start = full(labels.shape[0], 1, decoderStartTokenId, dtype: int64, device: labels.device);
        var shifted = cat([start, labels.to(int64)[.., ..^1]], 1);
        using var pad = padTokenId.ToScalar();
        return shifted.masked_fill(shifted.eq(IgnoreIndexScalar), pad).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Teacher-forced forward pass, as HF's <c>model(input_ids, attention_mask, decoder_input_ids, labels)</c>: the
    /// decoder sees only a causal mask, padded positions still get logits, and the loss (when <paramref name="labels"/>
    /// are given) is the mean cross-entropy over positions whose label is not -100.
    /// </summary>
    /// <param name="inputIds">Source token ids [batch, source length] (int64).</param>
    /// <param name="attentionMask">1 for real source tokens, 0 for padding [batch, source length].</param>
    /// <param name="decoderInputIds">Decoder inputs [batch, target length]; default <see cref="ShiftRight"/>(labels).</param>
    /// <param name="labels">Target ids with -100 at padding [batch, target length], or null for no loss.</param>
    public T5Output Forward(Tensor inputIds, Tensor attentionMask, Tensor? decoderInputIds = null, Tensor? labels = null)
    {
        if (decoderInputIds is null && labels is null)
        {
            throw new ArgumentException("Give decoderInputIds, labels, or both.", nameof(decoderInputIds));
        }

        using var scope = NewDisposeScope();
        var mask = attentionMask.to(Device);
        var encoderHidden = Encode(inputIds, mask);
        var labelsOnDevice = labels?.to(Device).to(int64);
        var decoderInputs = decoderInputIds?.to(Device) ?? ShiftRight(labelsOnDevice!, Config.DecoderStartTokenId, Config.PadTokenId);
        var logits = DecodeLogits(decoderInputs, encoderHidden, ExtendedMask(mask), cache: null);
        Tensor? loss = null;
        if (labelsOnDevice is not null)
        {
            loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labelsOnDevice.view(-1), ignore_index: IgnoreIndex);
        }

        return new T5Output(logits.MoveToOuterDisposeScope(), loss?.MoveToOuterDisposeScope(), encoderHidden.MoveToOuterDisposeScope());
    }

    /// <summary>Runs the encoder: hidden states [batch, source length, d_model].</summary>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var embeddings = shared.forward(inputIds.to(Device).to(int64));
        return encoder.Forward(embeddings, ExtendedMask(attentionMask.to(Device))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Log-likelihood of each target given its input: the sum of the log-probabilities of the target tokens (EOS
    /// included) and their count. Positions marked -100 (padding) are not scored.
    /// </summary>
    /// <param name="inputIds">Source ids [batch, source length].</param>
    /// <param name="attentionMask">Source mask [batch, source length].</param>
    /// <param name="targetIds">Target ids ending in EOS, -100 at padding [batch, target length].</param>
    public T5TargetScore[] ScoreTargets(Tensor inputIds, Tensor attentionMask, Tensor targetIds)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mask = attentionMask.to(Device);
        return ScoreEncoded(Encode(inputIds, mask), mask, targetIds.to(Device).to(int64));
    }

    /// <summary>
    /// Scores every candidate target for every input: result[i, c] is the score of candidate c for input i (e.g. one
    /// candidate per class label). The same numbers as <see cref="ScoreTargets"/> on each (input, candidate) pair, computed
    /// as <see cref="ScoreCandidatesPerRow"/> does: one encoder pass per input, no copy of the encoder output per candidate.
    /// </summary>
    /// <param name="inputIds">Source ids [batch, source length].</param>
    /// <param name="attentionMask">Source mask [batch, source length].</param>
    /// <param name="candidateIds">Candidate targets ending in EOS, -100 at padding [candidates, target length].</param>
    public T5TargetScore[,] ScoreCandidates(Tensor inputIds, Tensor attentionMask, Tensor candidateIds)
    {
        using var scope = NewDisposeScope();
        var batch = inputIds.shape[0];
        return ScoreCandidatesPerRow(inputIds, attentionMask, candidateIds.unsqueeze(0).expand(batch, -1, -1));
    }

    /// <summary>
    /// Scores each input's own candidate targets (e.g. the answer choices of a multiple-choice row): result[i, c] is the
    /// score of candidateIds[i, c] for input i. A candidate that is all -100 (padding for rows with fewer candidates)
    /// scores 0 over 0 tokens.
    /// </summary>
    /// <remarks>
    /// Every candidate starts with the decoder start token, so the decoder runs that shared first position once per input
    /// (its logits score every candidate's first token at once, and its cross-attention keys and values are projected once
    /// per input); the remaining positions then run once for all candidates together, attending to their input's cached
    /// cross-attention keys and values without copying them per candidate. When every candidate is one token plus EOS
    /// (single-token labels), that second pass is a single decoder position. The vocabulary projection runs only on the
    /// positions that score a token, not on the padding of shorter candidates. The numbers equal
    /// <see cref="ScoreTargets"/> on each pair to float rounding.
    /// </remarks>
    /// <param name="inputIds">Source ids [batch, source length].</param>
    /// <param name="attentionMask">Source mask [batch, source length].</param>
    /// <param name="candidateIds">Candidate targets ending in EOS, -100 at padding [batch, candidates, target length].</param>
    public T5TargetScore[,] ScoreCandidatesPerRow(Tensor inputIds, Tensor attentionMask, Tensor candidateIds)
    {
        if (candidateIds.dim() != 3 || candidateIds.shape[0] != inputIds.shape[0])
        {
            throw new ArgumentException($"candidateIds must be [batch, candidates, target length] with batch {inputIds.shape[0]}; got [{string.Join(", ", candidateIds.shape)}].", nameof(candidateIds));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = candidateIds.shape[0];
        var candidates = candidateIds.shape[1];
        var length = candidateIds.shape[2];
        var scores = new T5TargetScore[batch, candidates];
        if (candidates == 0 || length == 0)
        {
            return scores;
        }

        var mask = attentionMask.to(Device);
        var encoded = Encode(inputIds, mask);
        var encoderMask = ExtendedMask(mask);
        var targets = candidateIds.to(Device).to(int64);
        var scored = targets.ne(IgnoreIndexScalar);
        using var cache = NewCache();

        // Position 0: the decoder start token, the same for every candidate: once per input.
        var start = full(batch, 1, Config.DecoderStartTokenId, dtype: int64, device: Device);
        var firstLogits = DecodeLogits(start, encoded, encoderMask, cache).squeeze(1);
        var firstTargets = targets[.., .., 0];
        var firstPicked = firstLogits.gather(1, firstTargets.clamp_min(ZeroScalar)) - firstLogits.logsumexp(-1).unsqueeze(1);
        var total = firstPicked * scored[.., .., 0].to(float32);

        // Positions 1..: every candidate's own tokens, all candidates of all inputs in one pass over the cache.
        if (length > 1)
        {
            cache.RepeatSelfRows(candidates);
            var rows = batch * candidates;
            var previous = targets[.., .., ..^1].reshape(rows, length - 1);
            using var pad = Config.PadTokenId.ToScalar();
            var decoderInputs = previous.masked_fill(previous.eq(IgnoreIndexScalar), pad);
            var hidden = DecodeHidden(decoderInputs, encoded, encoderMask, cache);

            // The vocabulary projection (the largest matmul per position) runs only where a token is scored: padding of
            // shorter candidates is skipped, and the scored log-probabilities are added back to their candidate.
            var next = targets[.., .., 1..].reshape(rows * (length - 1));
            var at = next.ne(IgnoreIndexScalar).nonzero().squeeze(1);
            var logits = VocabularyLogits(hidden.reshape(rows * (length - 1), -1).index_select(0, at));
            var picked = PickedLogProbabilities(logits.unsqueeze(0), next.index_select(0, at).unsqueeze(0)).squeeze(0);
            using var perRow = (length - 1).ToScalar();
            var owner = at.div(perRow, rounding_mode: RoundingMode.floor);
            total = total + zeros(rows, dtype: float32, device: Device).index_add(0, owner, picked, OneScalar).view(batch, candidates);
        }

        var sums = total.cpu().data<float>().ToArray();
        var counts = scored.sum(2).cpu().data<long>().ToArray();
        for (var i = 0; i < batch; i++)
        {
            for (var c = 0; c < candidates; c++)
            {
                var at = (int)(i * candidates + c);
                scores[i, c] = new T5TargetScore(sums[at], (int)counts[at]);
            }
        }

        return scores;
    }

    /// <summary>
    /// The way <see cref="ScoreCandidates"/> worked before the shared first position: the encoder output and mask repeated
    /// per candidate and a full teacher-forced decoder pass per (input, candidate). Kept as the reference the faster path
    /// is tested against and the "before" figure of the benchmark.
    /// </summary>
    internal T5TargetScore[,] ScoreCandidatesByRepeating(Tensor inputIds, Tensor attentionMask, Tensor candidateIds)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mask = attentionMask.to(Device);
        var encoded = Encode(inputIds, mask);
        var batch = encoded.shape[0];
        var candidates = candidateIds.shape[0];
        var repeatedStates = encoded.repeat_interleave(candidates, dim: 0);
        var repeatedMask = mask.repeat_interleave(candidates, dim: 0);
        var targets = candidateIds.to(Device).to(int64).repeat(batch, 1);
        var flat = ScoreEncoded(repeatedStates, repeatedMask, targets);
        var scores = new T5TargetScore[batch, candidates];
        for (var i = 0; i < batch; i++)
        {
            for (var c = 0; c < candidates; c++)
            {
                scores[i, c] = flat[i * candidates + c];
            }
        }

        return scores;
    }

    /// <summary>
    /// Generates target ids with HF 4.36 semantics (greedy, or beam search when <see cref="T5GenerationOptions.NumBeams"/> &gt; 1):
    /// sequences start with the decoder start token, finished rows are padded with pad.
    /// </summary>
    /// <param name="inputIds">Source ids [batch, source length].</param>
    /// <param name="attentionMask">Source mask [batch, source length].</param>
    /// <param name="options">Length and search settings; default greedy with 20 new tokens.</param>
    public T5GenerationResult Generate(Tensor inputIds, Tensor attentionMask, T5GenerationOptions? options = null)
    {
        options ??= new T5GenerationOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mask = attentionMask.to(Device);
        var encoded = Encode(inputIds, mask);
        return options.NumBeams == 1
            ? T5GreedySearch.Run(this, encoded, mask, options)
            : T5BeamSearch.Run(this, encoded, mask, options);
    }

    /// <summary>Tokenizes <paramref name="inputs"/> with <see cref="Tokenizer"/>, generates, and decodes the outputs (special tokens skipped).</summary>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public IReadOnlyList<string> Generate(IReadOnlyList<string> inputs, T5GenerationOptions? options = null, int? maxInputLength = null)
    {
        var tokenizer = Tokenizer ?? throw new InvalidOperationException("This model has no tokenizer; set Tokenizer or load a folder with spiece.model.");
        using var scope = NewDisposeScope();
        var batch = tokenizer.EncodeBatch(inputs, maxInputLength);
        var result = Generate(batch.InputIds, batch.AttentionMask, options);
        return result.Sequences.Select(ids => tokenizer.Decode(ids)).ToArray();
    }

    /// <summary>Decoder logits [batch, q, vocab] (float32) for decoder ids [batch, q], continuing after the cached positions.</summary>
    internal Tensor DecodeLogits(Tensor decoderIds, Tensor encoderHidden, Tensor encoderMask, T5DecoderCache? cache)
    {
        using var scope = NewDisposeScope();
        return VocabularyLogits(DecodeHidden(decoderIds, encoderHidden, encoderMask, cache)).MoveToOuterDisposeScope();
    }

    /// <summary>The decoder's last hidden states [batch, q, d_model] for decoder ids [batch, q], continuing after the cached positions.</summary>
    private Tensor DecodeHidden(Tensor decoderIds, Tensor encoderHidden, Tensor encoderMask, T5DecoderCache? cache)
    {
        using var scope = NewDisposeScope();
        var embeddings = shared.forward(decoderIds.to(int64));
        var offset = cache?.Length ?? 0;
        var causal = CausalMask(decoderIds.shape[1], offset);
        return decoder.Forward(embeddings, causal, encoderHidden, encoderMask, cache).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The language-model head on decoder hidden states [..., d_model]: float32 logits [..., vocab] (the tied embedding,
    /// scaled by d_model^-0.5, or the separate head). Row-wise, so it may be applied to any subset of positions.
    /// </summary>
    private Tensor VocabularyLogits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        Tensor logits;
        if (lm_head is null)
        {
            using var scale = Math.Pow(Config.DModel, -0.5).ToScalar();
            var scaled = hidden * scale;
            using var weight = autocast.LowPrecision is { } type ? shared.weight!.to(type) : shared.weight!.alias();
            logits = nn.functional.linear(autocast.LowPrecision is { } t ? scaled.to(t) : scaled, weight);
        }
        else
        {
            logits = autocast.Linear(lm_head, hidden);
        }

        return logits.to(float32).MoveToOuterDisposeScope();
    }

    /// <summary>The additive encoder mask [B, 1, 1, S]: 0 for real tokens, float32 min for padding (HF's extended mask).</summary>
    internal static Tensor ExtendedMask(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var keep = attentionMask.to(float32).unsqueeze(1).unsqueeze(2);
        return ((OneScalar - keep) * MaskedOutScalar).MoveToOuterDisposeScope();
    }

    /// <summary>Creates a decoder cache sized for this model.</summary>
    internal T5DecoderCache NewCache() => new(decoder.BlockCount);

    private Tensor? CausalMask(long queryLength, long offset)
    {
        if (queryLength == 1)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var keyLength = offset + queryLength;
        using var first = offset.ToScalar();   // arange's bounds held for the call, as every Scalar of a forward pass
        using var end = keyLength.ToScalar();
        var queries = arange(first, end, dtype: int64, device: Device).unsqueeze(1);
        var keys = arange(ZeroScalar, end, dtype: int64, device: Device).unsqueeze(0);
        var blocked = keys.gt(queries).to(float32);
        return (blocked * MaskedOutScalar).unsqueeze(0).unsqueeze(0).MoveToOuterDisposeScope();
    }

    private T5TargetScore[] ScoreEncoded(Tensor encoderHidden, Tensor attentionMask, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var decoderInputs = ShiftRight(targets, Config.DecoderStartTokenId, Config.PadTokenId);
        var logits = DecodeLogits(decoderInputs, encoderHidden, ExtendedMask(attentionMask), cache: null);
        var logProbs = logits.log_softmax(-1);
        var scored = targets.ne(IgnoreIndexScalar);
        var picked = logProbs.gather(-1, targets.clamp_min(ZeroScalar).unsqueeze(-1)).squeeze(-1) * scored.to(float32);
        var sums = picked.sum(1).cpu().data<float>().ToArray();
        var counts = scored.sum(1).cpu().data<long>().ToArray();
        return sums.Select((s, i) => new T5TargetScore(s, (int)counts[i])).ToArray();
    }
    /// <summary>log softmax(logits)[target] for logits [N, q, vocab] and targets [N, q], without a second vocab-sized tensor.</summary>
    private static Tensor PickedLogProbabilities(Tensor logits, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var picked = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
        return (picked - logits.logsumexp(-1)).MoveToOuterDisposeScope();
    }
}
