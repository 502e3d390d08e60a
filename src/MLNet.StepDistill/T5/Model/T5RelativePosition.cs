using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// T5's relative-position buckets (HF <c>T5Attention._relative_position_bucket</c>): exact buckets for small
/// distances, logarithmic ones up to <c>max_distance</c>; the encoder separates left from right (bidirectional), the
/// decoder only looks back.
/// </summary>
internal static class T5RelativePosition
{
    /// <summary>The bucket of each relative position (memory position minus query position), as int64.</summary>
    public static Tensor Bucket(Tensor relativePosition, bool bidirectional, int numBuckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        var position = relativePosition.to(int64);
        var buckets = zeros_like(position);
        if (bidirectional)
        {
            numBuckets /= 2;
            using var half = numBuckets.ToScalar();   // every number below held as a Scalar for the call (architecture.md)
            using var zero = 0.ToScalar();
            buckets = buckets + (position > zero).to(int64) * half;
            position = position.abs();
        }
        else
        {
            position = -minimum(position, zeros_like(position));
        }

        var maxExact = numBuckets / 2;
        using var exact = maxExact.ToScalar();
        using var logRange = Math.Log((double)maxDistance / maxExact).ToScalar();
        using var logBuckets = (numBuckets - maxExact).ToScalar();
        using var lastBucket = (numBuckets - 1).ToScalar();
        var isSmall = position < exact;
        var scaled = (position.to(float32) / exact).log() / logRange * logBuckets;
        var large = scaled.to(int64) + exact;
        large = minimum(large, full_like(large, lastBucket));
        buckets = buckets + where(isSmall, position, large);
        return buckets.MoveToOuterDisposeScope();
    }
}
