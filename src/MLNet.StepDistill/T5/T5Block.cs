using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// One T5 block (HF <c>T5Block</c>): <c>layer.0</c> self-attention, then in the decoder <c>layer.1</c> cross-attention,
/// then the feed-forward as the last layer.
/// </summary>
internal sealed class T5Block : nn.Module
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly ModuleList<nn.Module> layer;
#pragma warning restore IDE1006
    private readonly T5LayerSelfAttention selfAttention;
    private readonly T5LayerCrossAttention? crossAttention;
    private readonly T5LayerFF feedForward;

    public T5Block(T5Config config, bool isDecoder, bool hasRelativeAttentionBias, T5Autocast autocast) : base(nameof(T5Block))
    {
        selfAttention = new T5LayerSelfAttention(config, isDecoder, hasRelativeAttentionBias, autocast);
        crossAttention = isDecoder ? new T5LayerCrossAttention(config, autocast) : null;
        feedForward = new T5LayerFF(config, autocast);
        layer = crossAttention is null
            ? nn.ModuleList<nn.Module>(selfAttention, feedForward)
            : nn.ModuleList<nn.Module>(selfAttention, crossAttention, feedForward);

        // Registered by hand: RegisterComponents would also register the typed views below under their own names.
        register_module(nameof(layer), layer);
    }

    /// <summary>The self-attention of this block (the first block's computes the shared position bias).</summary>
    public T5Attention SelfAttention => selfAttention.Attention;

    public Tensor Forward(Tensor hidden, Tensor? selfBias, Tensor? encoderHidden, Tensor? encoderBias, T5LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = selfAttention.Forward(hidden, selfBias, cache);
        if (crossAttention is not null)
        {
            if (encoderHidden is null)
            {
                throw new ArgumentNullException(nameof(encoderHidden), "A decoder block needs the encoder output.");
            }

            h = crossAttention.Forward(h, encoderHidden, encoderBias, cache);
        }

        return feedForward.forward(h).MoveToOuterDisposeScope();
    }
}
