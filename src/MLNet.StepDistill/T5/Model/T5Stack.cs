using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The encoder or the decoder (HF <c>T5Stack</c>): embeddings (shared, passed in), dropout, the blocks, a final RMS
/// norm and dropout. The position bias is computed once by block 0 and reused by every block.
/// </summary>
internal sealed class T5Stack : nn.Module
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly ModuleList<T5Block> block;
    private readonly T5LayerNorm final_layer_norm;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006

    public T5Stack(T5Config config, bool isDecoder, T5Autocast autocast) : base(isDecoder ? "decoder" : "encoder")
    {
        IsDecoder = isDecoder;
        var count = isDecoder ? config.DecoderLayerCount : config.NumLayers;
        block = nn.ModuleList(Enumerable.Range(0, count)
            .Select(i => new T5Block(config, isDecoder, hasRelativeAttentionBias: i == 0, autocast)).ToArray());
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new T5Dropout(config.DropoutRate);
        RegisterComponents();
    }

    /// <summary>Whether this is the decoder (causal self-attention, cross-attention).</summary>
    public bool IsDecoder { get; }

    /// <summary>Number of blocks.</summary>
    public int BlockCount => block.Count;

    /// <summary>
    /// Runs the stack on embedded tokens [B, q, d]. <paramref name="selfMask"/> is an additive mask broadcastable to
    /// [B, 1, q, k] (0 where allowed, float32 min where not) or null; <paramref name="encoderMask"/> likewise for the
    /// encoder positions. With a <paramref name="cache"/> the queries continue after the cached positions.
    /// </summary>
    public Tensor Forward(Tensor embeddings, Tensor? selfMask, Tensor? encoderHidden = null, Tensor? encoderMask = null, T5DecoderCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var queryLength = embeddings.shape[1];
        var offset = cache?.Length ?? 0;
        var positionBias = block[0].SelfAttention.ComputeBias(queryLength, offset + queryLength, offset, embeddings.device);
        if (selfMask is not null)
        {
            positionBias = positionBias + selfMask;
        }

        var hidden = dropout.forward(embeddings);
        for (var i = 0; i < block.Count; i++)
        {
            hidden = block[i].Forward(hidden, positionBias, encoderHidden, encoderMask, cache?[i]);
        }

        return dropout.forward(final_layer_norm.forward(hidden)).MoveToOuterDisposeScope();
    }
}
