using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>A padded batch of token ids and its attention mask (int64 tensors on the CPU).</summary>
public sealed class T5TokenizedBatch : IDisposable
{
    internal T5TokenizedBatch(Tensor inputIds, Tensor attentionMask)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
    }

    /// <summary>Token ids [batch, length], pad after each row's EOS.</summary>
    public Tensor InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding [batch, length].</summary>
    public Tensor AttentionMask { get; }

    /// <summary>The ids as training labels: -100 at padding, so that the loss ignores it.</summary>
    public Tensor ToLabels()
    {
        // Scalars held for the call: one made implicitly can be finalized by the GC while libtorch reads it (see T5LayerNorm).
        using var zero = 0.ToScalar();
        using var ignore = T5ForConditionalGeneration.IgnoreIndex.ToScalar();
        using var padding = AttentionMask.eq(zero);
        return InputIds.masked_fill(padding, ignore);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}
