using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>Pre-norm self-attention sub-layer with residual (HF <c>T5LayerSelfAttention</c>).</summary>
internal sealed class T5LayerSelfAttention : nn.Module
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly T5Attention SelfAttention;
    private readonly T5LayerNorm layer_norm;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006

    public T5LayerSelfAttention(T5Config config, bool isDecoder, bool hasRelativeAttentionBias, T5Autocast autocast)
        : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, isDecoder, hasRelativeAttentionBias, autocast);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new T5Dropout(config.DropoutRate);
        RegisterComponents();
    }

    /// <summary>The attention that owns the relative-position embedding (in the first block).</summary>
    public T5Attention Attention => SelfAttention;

    public Tensor Forward(Tensor hidden, Tensor? bias, T5LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        var attended = SelfAttention.Forward(layer_norm.forward(hidden), bias, keyValueStates: null, cache);
        return (hidden + dropout.forward(attended)).MoveToOuterDisposeScope();
    }
}
