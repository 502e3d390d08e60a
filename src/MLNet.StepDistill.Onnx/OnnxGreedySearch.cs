using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// Greedy decoding as HF 4.36's <c>_greedy_search</c> (the same steps as the TorchSharp <c>T5GreedySearch</c>): argmax
/// each step with the key/value cache, finished rows get pad, stop when every row has produced EOS or after the
/// new-token limit; the output keeps the start token.
/// </summary>
internal static class OnnxGreedySearch
{
    public static long[][] Run(OnnxT5Model model, OnnxEncoderOutput encoded, T5GenerationOptions options)
    {
        var facts = model.Manifest.Model;
        var rows = encoded.Rows;
        var vocab = facts.VocabSize;
        using var cache = new OnnxDecoderCache(model, encoded);
        var sequences = Enumerable.Range(0, rows).Select(_ => new List<long> { facts.DecoderStartTokenId }).ToArray();
        var unfinished = Enumerable.Repeat(true, rows).ToArray();
        for (var step = 0; step < options.MaxNewTokens; step++)
        {
            var logits = model.Step(cache, sequences.Select(s => s[^1]).ToArray(), 1);
            for (var r = 0; r < rows; r++)
            {
                var next = unfinished[r] ? ArgMax(logits.AsSpan(r * vocab, vocab)) : facts.PadTokenId;
                sequences[r].Add(next);
                unfinished[r] = unfinished[r] && next != facts.EosTokenId;
            }

            if (!unfinished.Any(u => u))
            {
                break;
            }
        }

        return sequences.Select(s => s.ToArray()).ToArray();
    }

    /// <summary>The first index of the largest value, as torch's argmax.</summary>
    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
