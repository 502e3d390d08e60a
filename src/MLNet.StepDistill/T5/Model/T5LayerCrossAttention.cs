using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>Pre-norm cross-attention sub-layer (decoder to encoder output) with residual (HF <c>T5LayerCrossAttention</c>).</summary>
internal sealed class T5LayerCrossAttention : nn.Module
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly T5Attention EncDecAttention;
    private readonly T5LayerNorm layer_norm;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006

    public T5LayerCrossAttention(T5Config config, T5Autocast autocast) : base(nameof(T5LayerCrossAttention))
    {
        EncDecAttention = new T5Attention(config, isDecoder: true, hasRelativeAttentionBias: false, autocast);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new T5Dropout(config.DropoutRate);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor encoderHidden, Tensor? encoderBias, T5LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        var attended = EncDecAttention.Forward(layer_norm.forward(hidden), encoderBias, encoderHidden, cache);
        return (hidden + dropout.forward(attended)).MoveToOuterDisposeScope();
    }
}
