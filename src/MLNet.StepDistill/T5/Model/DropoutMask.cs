using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The random numbers of a CPU dropout mask: element <c>i</c> is kept with probability <c>keep</c> from one 64-bit key,
/// so a whole mask costs one draw from a torch generator instead of one per element.
/// </summary>
/// <remarks>
/// Word <c>j</c> is the <c>j</c>-th output of SplitMix64 (Steele, Lea and Flood 2014; Vigna's <c>splitmix64.c</c>)
/// seeded with the key: <c>z = key + (j + 1) * 0x9E3779B97F4A7C15</c>, then its two xor-shift-multiply rounds and a
/// final xor-shift. Element <c>2j</c> takes the word's low 32 bits and element <c>2j + 1</c> its high 32 bits; an element
/// is kept when those bits, read as an unsigned number, are below <c>round(keep * 2^32)</c>. Every output is a function of
/// the key and the index alone, so the mask is the same whichever way it is filled (AVX2 vectors or one element at a
/// time) and on every machine. libtorch's CPU <c>bernoulli_</c> draws a double per element from its Mersenne Twister in
/// one serial loop (its vectorized path is for Intel CPUs only): 7-8% of a t5-small training step in a profile (README,
/// "Performance").
/// </remarks>
internal static class DropoutMask
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private const ulong Mix1 = 0xBF58476D1CE4E5B9UL;
    private const ulong Mix2 = 0x94D049BB133111EBUL;

    /// <summary>The <paramref name="index"/>-th output (from 0) of SplitMix64 seeded with <paramref name="key"/>.</summary>
    public static ulong Word(ulong key, ulong index)
    {
        var z = key + (index + 1) * Golden;
        z = (z ^ (z >> 30)) * Mix1;
        z = (z ^ (z >> 27)) * Mix2;
        return z ^ (z >> 31);
    }

    /// <summary>The unsigned 32-bit bound below which an element is kept: <c>round(keep * 2^32)</c>, at most 2^32 - 1.</summary>
    public static uint KeepBound(double keepProbability) =>
        (uint)Math.Min(uint.MaxValue, Math.Round(keepProbability * 4294967296.0));

    /// <summary>
    /// Writes the mask of <paramref name="key"/>: <paramref name="scale"/> where an element is kept (probability
    /// <paramref name="keepProbability"/>), 0 elsewhere.
    /// </summary>
    public static void Fill(Span<float> mask, ulong key, double keepProbability, float scale)
    {
        var bound = KeepBound(keepProbability);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four words make eight elements: read as uint lanes, a vector of words is low0, high0, low1, high1, ...
            var keys = Vector256.Create(key) + Vector256.Create(1UL, 2UL, 3UL, 4UL) * Golden;
            var step = Vector256.Create(unchecked(4UL * Golden));
            var signFlip = Vector256.Create(0x80000000u);
            var signedBound = (Vector256.Create(bound) ^ signFlip).AsInt32();   // AVX2 compares signed lanes only
            var kept = Vector256.Create(scale);
            ref var start = ref MemoryMarshal.GetReference(mask);
            for (; i + 8 <= mask.Length; i += 8, keys += step)
            {
                var z = keys;
                z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Mix1;
                z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Mix2;
                z ^= Vector256.ShiftRightLogical(z, 31);
                var keep = Vector256.LessThan((z.AsUInt32() ^ signFlip).AsInt32(), signedBound);
                Vector256.ConditionalSelect(keep.AsSingle(), kept, Vector256<float>.Zero).StoreUnsafe(ref start, (nuint)i);
            }
        }

        for (; i < mask.Length; i++)
        {
            var word = Word(key, (ulong)i >> 1);
            var bits = (i & 1) == 0 ? (uint)word : (uint)(word >> 32);
            mask[i] = bits < bound ? scale : 0f;
        }
    }
}
