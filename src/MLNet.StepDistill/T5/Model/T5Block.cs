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

    public T5Block(T5Config config, bool isDecoder, bool hasRelativeAttentionBias, T5Autocast autocast) : base(nameof(T5Block))
    {
        var selfAttention = new T5LayerSelfAttention(config, isDecoder, hasRelativeAttentionBias, autocast);
        var feedForward = new T5LayerFF(config, autocast);
        layer = isDecoder
            ? nn.ModuleList<nn.Module>(selfAttention, new T5LayerCrossAttention(config, autocast), feedForward)
            : nn.ModuleList<nn.Module>(selfAttention, feedForward);
        RegisterComponents();
    }

    // Typed views of the layers; not fields, so that only `layer` is registered.
    private T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];

    private T5LayerCrossAttention? CrossAttentionLayer => layer.Count == 3 ? (T5LayerCrossAttention)layer[1] : null;

    private T5LayerFF FeedForwardLayer => (T5LayerFF)layer[^1];

    /// <summary>The self-attention of this block (the first block's computes the shared position bias).</summary>
    public T5Attention SelfAttention => SelfAttentionLayer.Attention;

    public Tensor Forward(Tensor hidden, Tensor? selfBias, Tensor? encoderHidden, Tensor? encoderBias, T5LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = SelfAttentionLayer.Forward(hidden, selfBias, cache);
        if (CrossAttentionLayer is { } crossAttention)
        {
            if (encoderHidden is null)
            {
                throw new ArgumentNullException(nameof(encoderHidden), "A decoder block needs the encoder output.");
            }

            h = crossAttention.Forward(h, encoderHidden, encoderBias, cache);
        }

        return FeedForwardLayer.forward(h).MoveToOuterDisposeScope();
    }
}
