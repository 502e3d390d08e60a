using MLNet.StepDistill.T5;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNet.StepDistill.Export;

/// <summary>
/// Writes a T5's encoder and decoder as ONNX graphs that compute what <see cref="T5ForConditionalGeneration"/> computes
/// in float32 (HF 4.36 semantics), with dynamic batch and sequence axes.
/// </summary>
/// <remarks>
/// <para>The encoder graph takes <c>input_ids</c> and <c>attention_mask</c> [batch, encoder_sequence] (int64) and returns
/// <c>encoder_hidden_states</c> and, for every decoder block i, the cross-attention <c>cross_key_i</c> and
/// <c>cross_value_i</c> [batch, heads, encoder_sequence, d_kv]: computed once per input, reused by every decoder step.</para>
/// <para>The decoder graph takes <c>decoder_input_ids</c> [batch, decoder_sequence], <c>encoder_attention_mask</c>, the
/// cross keys/values and the self-attention cache <c>past_key_i</c>/<c>past_value_i</c> [batch, heads, past_sequence, d_kv]
/// (past_sequence 0 on the first step), and returns <c>logits</c> [batch, decoder_sequence, vocab] and the grown cache
/// <c>present_key_i</c>/<c>present_value_i</c>. The queries continue after the past positions; the causal mask applies
/// within the step, so one graph serves cached generation (one token per step) and teacher-forced scoring (all at once).</para>
/// <para>Scoring (manifest format 2): the decoder also takes <c>target_ids</c> [batch, target_sequence] (int64,
/// target_sequence at most decoder_sequence) and returns <c>target_log_probs</c> [batch, target_sequence]:
/// log_softmax(logits[b, t])[target_ids[b, t]], the log-softmax and the gather done in the graph over the first
/// target_sequence positions only, so a scorer reads a few floats per candidate position instead of a vocabulary of
/// logits. Generation passes an empty [batch, 0] <c>target_ids</c>, which costs nothing.</para>
/// <para>Relative position bias is computed inside the graphs: the exporter evaluates the model's own bucket function
/// (<see cref="T5RelativePosition"/>) for every relative position in [-max_distance, max_distance] and folds it with the
/// learned bias table into one initializer [2 max_distance + 1, heads]; the graph clamps each key-minus-query distance
/// into that range (the buckets saturate beyond max_distance) and gathers. The bias values are thus bit-identical to
/// TorchSharp's and no bucket arithmetic is repeated at run time.</para>
/// </remarks>
internal sealed class T5OnnxGraphWriter(T5Config config, T5OnnxWeights weights)
{
    public const int Opset = 17;

    private int Heads => config.NumHeads;

    private int HeadSize => config.DKv;

    public ModelProto Encoder(string producerVersion)
    {
        var g = new OnnxGraphBuilder("t5_encoder");
        var ids = g.Input("input_ids", DataType.Int64, "batch", "encoder_sequence");
        var mask = g.Input("attention_mask", DataType.Int64, "batch", "encoder_sequence");
        var length = Dim(g, ids, 1);
        var bias = g.Node("Add", [PositionBias(g, "encoder", bidirectional: true, g.Int64Scalar(0), length, length), ExtendedMask(g, mask)]);
        var hidden = g.Node("Gather", [g.Weight("shared.weight", weights["shared.weight"].Values, weights["shared.weight"].Shape), ids]);
        for (var i = 0; i < config.NumLayers; i++)
        {
            var prefix = $"encoder.block.{i}.layer.";
            var normed = RmsNorm(g, hidden, prefix + "0.layer_norm.weight");
            var attended = Attention(g, prefix + "0.SelfAttention", normed, Project(g, normed, prefix + "0.SelfAttention.k.weight"), Project(g, normed, prefix + "0.SelfAttention.v.weight"), bias);
            hidden = g.Node("Add", [hidden, attended]);
            hidden = FeedForward(g, hidden, prefix + "1.");
        }

        var output = RmsNorm(g, hidden, "encoder.final_layer_norm.weight");
        g.Output(output, "encoder_hidden_states", DataType.Float, "batch", "encoder_sequence", (long)config.DModel);
        for (var i = 0; i < config.DecoderLayerCount; i++)
        {
            var prefix = $"decoder.block.{i}.layer.1.EncDecAttention.";
            g.Output(Project(g, output, prefix + "k.weight"), $"cross_key_{i}", DataType.Float, "batch", (long)Heads, "encoder_sequence", (long)HeadSize);
            g.Output(Project(g, output, prefix + "v.weight"), $"cross_value_{i}", DataType.Float, "batch", (long)Heads, "encoder_sequence", (long)HeadSize);
        }

        return g.ToModel(Opset, "MLNet.StepDistill", producerVersion);
    }

    /// <param name="producerVersion">The exporting library's version.</param>
    /// <param name="scoreTargets">
    /// Add <c>target_ids</c> and <c>target_log_probs</c> (manifest format 2; see remarks). False writes the format-1 graph
    /// that exports before format 2 hold, for the tests and the benchmark that compare the two.
    /// </param>
    public ModelProto Decoder(string producerVersion, bool scoreTargets = true)
    {
        var g = new OnnxGraphBuilder("t5_decoder");
        var ids = g.Input("decoder_input_ids", DataType.Int64, "batch", "decoder_sequence");
        var encoderMask = g.Input("encoder_attention_mask", DataType.Int64, "batch", "encoder_sequence");
        var past = new List<(string Key, string Value)>();
        var cross = new List<(string Key, string Value)>();
        for (var i = 0; i < config.DecoderLayerCount; i++)
        {
            past.Add((g.Input($"past_key_{i}", DataType.Float, "batch", (long)Heads, "past_sequence", (long)HeadSize),
                g.Input($"past_value_{i}", DataType.Float, "batch", (long)Heads, "past_sequence", (long)HeadSize)));
        }

        for (var i = 0; i < config.DecoderLayerCount; i++)
        {
            cross.Add((g.Input($"cross_key_{i}", DataType.Float, "batch", (long)Heads, "encoder_sequence", (long)HeadSize),
                g.Input($"cross_value_{i}", DataType.Float, "batch", (long)Heads, "encoder_sequence", (long)HeadSize)));
        }

        var queryLength = Dim(g, ids, 1);
        var offset = Dim(g, past[0].Key, 2);
        var keyLength = g.Node("Add", [offset, queryLength]);
        var positionBias = PositionBias(g, "decoder", bidirectional: false, offset, queryLength, keyLength);
        var selfBias = g.Node("Add", [positionBias, CausalMask(g, offset, queryLength, keyLength)]);
        var crossBias = ExtendedMask(g, encoderMask);
        var shared = g.Weight("shared.weight", weights["shared.weight"].Values, weights["shared.weight"].Shape);
        var hidden = g.Node("Gather", [shared, ids]);
        for (var i = 0; i < config.DecoderLayerCount; i++)
        {
            var prefix = $"decoder.block.{i}.layer.";
            var normed = RmsNorm(g, hidden, prefix + "0.layer_norm.weight");
            var key = g.Node("Concat", [past[i].Key, Project(g, normed, prefix + "0.SelfAttention.k.weight")], $"present_key_{i}_value", ("axis", 2L));
            var value = g.Node("Concat", [past[i].Value, Project(g, normed, prefix + "0.SelfAttention.v.weight")], $"present_value_{i}_value", ("axis", 2L));
            hidden = g.Node("Add", [hidden, Attention(g, prefix + "0.SelfAttention", normed, key, value, selfBias)]);
            normed = RmsNorm(g, hidden, prefix + "1.layer_norm.weight");
            hidden = g.Node("Add", [hidden, Attention(g, prefix + "1.EncDecAttention", normed, cross[i].Key, cross[i].Value, crossBias)]);
            hidden = FeedForward(g, hidden, prefix + "2.");
            g.Output(key, $"present_key_{i}", DataType.Float, "batch", (long)Heads, "total_sequence", (long)HeadSize);
            g.Output(value, $"present_value_{i}", DataType.Float, "batch", (long)Heads, "total_sequence", (long)HeadSize);
        }

        hidden = RmsNorm(g, hidden, "decoder.final_layer_norm.weight");
        string head;
        if (config.TieWordEmbeddings)
        {
            hidden = g.Node("Mul", [hidden, g.Float((float)Math.Pow(config.DModel, -0.5))]);
            head = shared;
        }
        else
        {
            head = g.Weight("lm_head.weight", weights["lm_head.weight"].Values, weights["lm_head.weight"].Shape);
        }

        var flat = g.Node("Reshape", [hidden, g.Int64s(-1, config.DModel)]);
        var logits = g.Node("Gemm", [flat, head], null, ("transB", 1L));
        var shape = g.Node("Concat", [g.Node("Shape", [ids]), g.Int64s(config.VocabSize)], null, ("axis", 0L));
        g.Output(g.Node("Reshape", [logits, shape]), "logits", DataType.Float, "batch", "decoder_sequence", (long)config.VocabSize);
        if (scoreTargets)
        {
            // Read from the output itself: the Reshape keeps one consumer, so "logits" stays an alias of the Gemm's buffer.
            g.Output(TargetLogProbabilities(g, "logits", g.Input("target_ids", DataType.Int64, "batch", "target_sequence")), "target_log_probs", DataType.Float, "batch", "target_sequence");
        }

        return g.ToModel(Opset, "MLNet.StepDistill", producerVersion);
    }

    /// <summary>
    /// log_softmax(logits[:, t])[targets[:, t]] for the first target_sequence positions [batch, target_sequence]: the
    /// positions beyond are sliced off before the log-softmax, so an empty target costs nothing.
    /// </summary>
    private static string TargetLogProbabilities(OnnxGraphBuilder g, string logits, string targets)
    {
        var length = g.Node("Unsqueeze", [Dim(g, targets, 1), g.Int64s(0)]);
        var scored = g.Node("Slice", [logits, g.Int64s(0), length, g.Int64s(1)]);
        var logProbabilities = g.Node("LogSoftmax", [scored], null, ("axis", -1L));
        var picked = g.Node("GatherElements", [logProbabilities, g.Node("Unsqueeze", [targets, g.Int64s(2)])], null, ("axis", 2L));
        return g.Node("Squeeze", [picked, g.Int64s(2)]);
    }

    /// <summary>Dimension <paramref name="axis"/> of <paramref name="value"/> as an int64 scalar.</summary>
    private static string Dim(OnnxGraphBuilder g, string value, long axis) =>
        g.Node("Gather", [g.Node("Shape", [value]), g.Int64Scalar(axis)], null, ("axis", 0L));

    /// <summary>HF's extended mask [batch, 1, 1, sequence]: 0 for tokens, float32 min for padding.</summary>
    private static string ExtendedMask(OnnxGraphBuilder g, string mask)
    {
        var keep = g.Node("Cast", [mask], null, ("to", (long)DataType.Float));
        var blocked = g.Node("Mul", [g.Node("Sub", [g.Float(1f), keep]), g.Float(float.MinValue)]);
        return g.Node("Unsqueeze", [blocked, g.Int64s(1, 2)]);
    }

    /// <summary>Float32 min where a key lies after its query [query, key], else 0.</summary>
    private static string CausalMask(OnnxGraphBuilder g, string offset, string queryLength, string keyLength)
    {
        var (queries, keys) = Positions(g, offset, queryLength, keyLength);
        var blocked = g.Node("Cast", [g.Node("Greater", [keys, queries])], null, ("to", (long)DataType.Float));
        return g.Node("Mul", [blocked, g.Float(float.MinValue)]);
    }

    /// <summary>Query positions [q, 1] from <paramref name="offset"/> and key positions [1, k] from 0.</summary>
    private static (string Queries, string Keys) Positions(OnnxGraphBuilder g, string offset, string queryLength, string keyLength)
    {
        var one = g.Int64Scalar(1);
        var queries = g.Node("Range", [offset, g.Node("Add", [offset, queryLength]), one]);
        var keys = g.Node("Range", [g.Int64Scalar(0), keyLength, one]);
        return (g.Node("Unsqueeze", [queries, g.Int64s(1)]), g.Node("Unsqueeze", [keys, g.Int64s(0)]));
    }

    /// <summary>The relative-position bias [1, heads, q, k] of a stack, gathered from the folded table (see remarks).</summary>
    private string PositionBias(OnnxGraphBuilder g, string stack, bool bidirectional, string offset, string queryLength, string keyLength)
    {
        var maxDistance = config.RelativeAttentionMaxDistance;
        var (embedding, _) = weights[$"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight"];
        long[] buckets;
        using (NewDisposeScope())
        {
            var relative = arange(-maxDistance, maxDistance + 1, dtype: int64);
            buckets = T5RelativePosition.Bucket(relative, bidirectional, config.RelativeAttentionNumBuckets, maxDistance).data<long>().ToArray();
        }

        var table = new float[buckets.Length * Heads];
        for (var r = 0; r < buckets.Length; r++)
        {
            Array.Copy(embedding, buckets[r] * Heads, table, r * Heads, Heads);
        }

        var tableName = g.Weight($"{stack}.relative_position_bias_by_distance", table, buckets.Length, Heads);
        var (queries, keys) = Positions(g, offset, queryLength, keyLength);
        var distance = g.Node("Sub", [keys, queries]);
        var clamped = g.Node("Min", [g.Node("Max", [distance, g.Int64Scalar(-maxDistance)]), g.Int64Scalar(maxDistance)]);
        var index = g.Node("Add", [clamped, g.Int64Scalar(maxDistance)]);
        var values = g.Node("Gather", [tableName, index], null, ("axis", 0L));
        return g.Node("Unsqueeze", [g.Node("Transpose", [values], null, ("perm", new long[] { 2, 0, 1 })), g.Int64s(0)]);
    }

    /// <summary>T5's RMS norm: weight * x / sqrt(mean(x^2) + eps).</summary>
    private string RmsNorm(OnnxGraphBuilder g, string x, string weightKey)
    {
        var variance = g.Node("ReduceMean", [g.Node("Mul", [x, x])], null, ("axes", new long[] { -1 }), ("keepdims", 1L));
        var inverse = g.Node("Reciprocal", [g.Node("Sqrt", [g.Node("Add", [variance, g.Float((float)config.LayerNormEpsilon)])])]);
        var (w, shape) = weights[weightKey];
        return g.Node("Mul", [g.Weight(weightKey, w, shape), g.Node("Mul", [x, inverse])]);
    }

    private static string Linear(OnnxGraphBuilder g, string x, T5OnnxWeights weights, string key)
    {
        var (w, shape) = weights.Transposed(key);
        return g.Node("MatMul", [x, g.Weight(key, w, shape)]);
    }

    /// <summary>A key or value projection split into heads [batch, heads, sequence, d_kv].</summary>
    private string Project(OnnxGraphBuilder g, string x, string key) => SplitHeads(g, Linear(g, x, weights, key));

    private string SplitHeads(OnnxGraphBuilder g, string projected) =>
        g.Node("Transpose", [g.Node("Reshape", [projected, g.Int64s(0, -1, Heads, HeadSize)])], null, ("perm", new long[] { 0, 2, 1, 3 }));

    /// <summary>T5 attention (no 1/sqrt(d) scaling): o(softmax(q k^T + bias) v).</summary>
    private string Attention(OnnxGraphBuilder g, string prefix, string normed, string key, string value, string bias)
    {
        var query = Project(g, normed, prefix + ".q.weight");
        var scores = g.Node("MatMul", [query, g.Node("Transpose", [key], null, ("perm", new long[] { 0, 1, 3, 2 }))]);
        var weightsOfKeys = g.Node("Softmax", [g.Node("Add", [scores, bias])], null, ("axis", -1L));
        var context = g.Node("MatMul", [weightsOfKeys, value]);
        var merged = g.Node("Reshape", [g.Node("Transpose", [context], null, ("perm", new long[] { 0, 2, 1, 3 })), g.Int64s(0, -1, Heads * HeadSize)]);
        return Linear(g, merged, weights, prefix + ".o.weight");
    }

    /// <summary>Pre-norm feed-forward with residual, plain (<c>wi</c>) or gated (<c>wi_0</c>, <c>wi_1</c>).</summary>
    private string FeedForward(OnnxGraphBuilder g, string hidden, string prefix)
    {
        var normed = RmsNorm(g, hidden, prefix + "layer_norm.weight");
        var dense = prefix + "DenseReluDense.";
        string inner;
        if (config.IsGatedAct)
        {
            var gate = Activation(g, Linear(g, normed, weights, dense + "wi_0.weight"), config.DenseActFn);
            inner = g.Node("Mul", [gate, Linear(g, normed, weights, dense + "wi_1.weight")]);
        }
        else
        {
            inner = Activation(g, Linear(g, normed, weights, dense + "wi.weight"), config.DenseActFn);
        }

        return g.Node("Add", [hidden, Linear(g, inner, weights, dense + "wo.weight")]);
    }

    /// <summary>The activations of <see cref="T5Activations"/>, in ONNX operators.</summary>
    private static string Activation(OnnxGraphBuilder g, string x, string name)
    {
        switch (name)
        {
            case "relu":
                return g.Node("Relu", [x]);
            case "gelu":
                var erf = g.Node("Erf", [g.Node("Div", [x, g.Float(MathF.Sqrt(2f))])]);
                return g.Node("Mul", [g.Node("Mul", [x, g.Float(0.5f)]), g.Node("Add", [erf, g.Float(1f)])]);
            case "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast":
                var cube = g.Node("Mul", [g.Node("Mul", [x, x]), x]);
                var inner = g.Node("Mul", [g.Node("Add", [x, g.Node("Mul", [cube, g.Float(0.044715f)])]), g.Float(MathF.Sqrt(2f / MathF.PI))]);
                return g.Node("Mul", [g.Node("Mul", [x, g.Float(0.5f)]), g.Node("Add", [g.Node("Tanh", [inner]), g.Float(1f)])]);
            case "silu" or "swish":
                return g.Node("Mul", [x, g.Node("Sigmoid", [x])]);
            case "tanh":
                return g.Node("Tanh", [x]);
            case "sigmoid":
                return g.Node("Sigmoid", [x]);
            default:
                throw new NotSupportedException($"Activation \"{name}\" has no ONNX export.");
        }
    }
}
