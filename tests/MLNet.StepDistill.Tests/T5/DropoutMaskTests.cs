using MLNet.StepDistill.T5;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>The CPU dropout mask: SplitMix64's outputs, split into two elements a word, kept below the bound.</summary>
public class DropoutMaskTests
{
    [Fact]
    public void Words_are_splitmix64s_published_outputs()
    {
        // The first outputs of Vigna's splitmix64.c seeded with 1234567 (the test vector other implementations check).
        Assert.Equal(6457827717110365317UL, DropoutMask.Word(1234567, 0));
        Assert.Equal(3203168211198807973UL, DropoutMask.Word(1234567, 1));
        Assert.Equal(9817491932198370423UL, DropoutMask.Word(1234567, 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(37)]
    [InlineData(1_000)]
    public void Every_element_is_kept_when_its_half_of_its_word_is_below_the_bound_whatever_the_length(int length)
    {
        const ulong key = 0xDEADBEEF12345UL;
        var mask = new float[length];
        DropoutMask.Fill(mask, key, 0.7, 2.5f);
        var bound = DropoutMask.KeepBound(0.7);
        Assert.Equal(3006477107u, bound);   // round(0.7 * 2^32)
        for (var i = 0; i < length; i++)
        {
            var word = DropoutMask.Word(key, (ulong)(i / 2));
            var bits = i % 2 == 0 ? (uint)(word & 0xFFFFFFFF) : (uint)(word >> 32);
            Assert.Equal(bits < bound ? 2.5f : 0f, mask[i]);
        }
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    public void Elements_are_kept_at_the_keep_probability_and_neighbours_independently(double keep)
    {
        const int length = 1 << 20;
        var mask = new float[length];
        DropoutMask.Fill(mask, 42, keep, 1f);
        var n = (double)length;
        Assert.InRange(mask.Count(v => v == 1f), n * keep - 5 * Math.Sqrt(n * keep * (1 - keep)), n * keep + 5 * Math.Sqrt(n * keep * (1 - keep)));

        // Both kinds of neighbours: the two halves of one word (2j, 2j + 1) and the ends of two words (2j + 1, 2j + 2).
        foreach (var first in new[] { 0, 1 })
        {
            var pairs = 0;
            var both = 0;
            for (var i = first; i + 1 < length; i += 2, pairs++)
            {
                both += mask[i] == 1f && mask[i + 1] == 1f ? 1 : 0;
            }

            var p = keep * keep;
            Assert.InRange(both, pairs * p - 5 * Math.Sqrt(pairs * p * (1 - p)), pairs * p + 5 * Math.Sqrt(pairs * p * (1 - p)));
        }
    }

    [Fact]
    public void Different_keys_give_different_masks_and_the_same_key_the_same_one()
    {
        var a = new float[4096];
        var b = new float[4096];
        var c = new float[4096];
        DropoutMask.Fill(a, 1, 0.5, 1f);
        DropoutMask.Fill(b, 2, 0.5, 1f);
        DropoutMask.Fill(c, 1, 0.5, 1f);
        Assert.Equal(a, c);
        Assert.InRange(a.Zip(b).Count(pair => pair.First == pair.Second), 1800, 2300);   // about half agree by chance
    }
}
