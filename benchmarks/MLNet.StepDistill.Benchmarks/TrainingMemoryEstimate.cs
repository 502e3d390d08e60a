using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// What training a T5 in float32 needs to hold at its peak, counted from the shapes: weights, their gradients, AdamW's
/// two moments (4 x parameters x 4 bytes), plus the activations autograd keeps for one forward pass of a batch.
/// </summary>
/// <remarks>
/// Activations per pass, in floats: every linear layer keeps its input (tokens x d_in); the feed-forward keeps its
/// hidden layer before and after the activation (2 x tokens x d_ff, 3 x for the gated variant); attention keeps its
/// scores and softmax weights (2 x batch x heads x q x k) and dropout masks of the same size (1 byte each, counted as a
/// quarter float); every RMS norm keeps its input; the head keeps the logits and their log-softmax (2 x tokens x vocab).
/// It is an estimate to compare a measured peak against, not a measurement.
/// </remarks>
internal static class TrainingMemoryEstimate
{
    /// <summary>Bytes of weights + gradients + AdamW moments for <paramref name="parameters"/> float32 parameters.</summary>
    public static long OptimizerState(long parameters) => 4 * parameters * sizeof(float);

    /// <summary>Bytes of the activations of one forward pass (batch, source and target tokens per row).</summary>
    public static long Activations(T5Config c, long batch, long source, long target)
    {
        double inner = (long)c.NumHeads * c.DKv;
        double ffHidden = (c.IsGatedAct ? 3 : 2) * (long)c.DFf;
        double AttentionMaps(long queries, long keys) => batch * c.NumHeads * (double)queries * keys * 2.25; // scores, weights, dropout mask

        double s = batch * source, t = batch * target;
        double feedForward(double tokens) => tokens * c.DModel * 2 + tokens * ffHidden;     // norm input, wi input; hidden before/after activation
        double selfAttention(double tokens, long length) => tokens * c.DModel * 2 + tokens * inner + AttentionMaps(length, length); // norm/q,k,v input, o input
        var encoderLayer = selfAttention(s, source) + feedForward(s);
        var decoderLayer = selfAttention(t, target) + feedForward(t)
                         + t * c.DModel * 2 + t * inner + s * inner * 2 + AttentionMaps(target, source); // cross: norm/q input, o input, k and v of the encoder output
        var floats = c.NumLayers * encoderLayer + c.DecoderLayerCount * decoderLayer
                   + 2.0 * t * c.VocabSize + (s + t) * c.DModel * 2;                      // logits and log-softmax; embeddings and final norms
        return (long)(floats * sizeof(float));
    }
}
