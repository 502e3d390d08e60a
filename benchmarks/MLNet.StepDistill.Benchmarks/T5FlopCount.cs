using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Matrix-product FLOPs of a T5 pass, counted from the shapes: each weight matrix multiplies only the tokens that pass
/// through it, plus the attention score (Q K^T) and value (weights V) products. A d_in x d_out weight applied to n
/// tokens is 2 n d_in d_out FLOPs; an attention map of q queries over k keys is 2 q k d_kv per head for the scores and
/// the same again for the values.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Encoder (per layer, on the batch's source tokens S): q, k, v, o (4 d x inner), the feed-forward (2 or, gated, 3
/// d x d_ff), self-attention over S x S.</item>
/// <item>Decoder (per layer, on the target tokens T): self-attention q, k, v, o and the feed-forward on T, cross-attention
/// q and o on T, cross-attention k and v on the source tokens S (each decoder layer projects the encoder output),
/// self-attention over T x T and cross-attention over T x S.</item>
/// <item>LM head: d x vocab on T. The embedding lookups (input and decoder) are gathers, not products: no FLOPs.</item>
/// <item>Training = 3 x the forward count (backward computes two products per forward product: input and weight
/// gradients), the usual rule; AdamW's element-wise update is not a matrix product and is left out.</item>
/// </list>
/// Element-wise work (norms, softmax, activations) is left out too, so the fraction of the matmul rate is the share of
/// the time spent at matmul speed.
/// </remarks>
internal static class T5FlopCount
{
    /// <summary>Forward matmul FLOPs for <paramref name="batch"/> rows of <paramref name="source"/> and <paramref name="target"/> tokens.</summary>
    public static double Forward(T5Config c, long batch, long source, long target)
    {
        double d = c.DModel, inner = (double)c.NumHeads * c.DKv, ff = (c.IsGatedAct ? 3 : 2) * (double)c.DFf * d;
        double s = batch * source, t = batch * target;
        double Attention(double queries, double keys) => 2 * 2 * batch * c.NumHeads * queries * keys * c.DKv;

        var encoderLayer = 2 * s * (4 * d * inner + ff) + Attention(source, source);
        var decoderLayer = 2 * t * (4 * d * inner + ff)          // self-attention projections, feed-forward
                         + 2 * t * (2 * d * inner)               // cross-attention q and o
                         + 2 * s * (2 * d * inner)               // cross-attention k and v of the encoder output
                         + Attention(target, target) + Attention(target, source);
        var head = 2 * t * d * c.VocabSize;
        return c.NumLayers * encoderLayer + c.DecoderLayerCount * decoderLayer + head;
    }

    /// <summary>Forward + backward matmul FLOPs of one training step.</summary>
    public static double TrainingStep(T5Config c, long batch, long source, long target) => 3 * Forward(c, batch, source, target);
}
