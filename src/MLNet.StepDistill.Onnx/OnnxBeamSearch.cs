using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// Beam search as HF 4.36's <c>_beam_search</c>, step for step as the TorchSharp <c>T5BeamSearch</c>: each step's
/// decoder log-softmax and top 2 x beams candidates per input in C#; the bookkeeping is <see cref="T5BeamSearchState"/>,
/// shared with the TorchSharp runtime.
/// </summary>
internal static class OnnxBeamSearch
{
    public static long[][] Run(OnnxT5Model model, OnnxEncoderOutput encoded, T5GenerationOptions options)
    {
        var facts = model.Manifest.Model;
        var batch = encoded.Rows;
        var beams = options.NumBeams;
        var vocab = facts.VocabSize;
        var maxLength = 1 + options.MaxNewTokens;
        using var cache = new OnnxDecoderCache(model, encoded.RepeatRows(beams));

        var search = new T5BeamSearchState(batch, beams, options.LengthPenalty, facts.DecoderStartTokenId, facts.PadTokenId, facts.EosTokenId);
        var logProbs = new float[beams * vocab];
        for (var length = 1; length < maxLength; length++)
        {
            var logits = model.Step(cache, search.LastTokens(), 1);
            var nextRows = search.Step(length, vocab, b =>
            {
                for (var k = 0; k < beams; k++)
                {
                    var row = b * beams + k;
                    var slice = logProbs.AsSpan(k * vocab, vocab);
                    OnnxT5Model.LogSoftmax(logits.AsSpan(row * vocab, vocab), slice);
                    for (var v = 0; v < vocab; v++)
                    {
                        slice[v] += search.BeamScores[row];
                    }
                }

                var (topScores, topIndices) = TopK(logProbs, 2 * beams);
                return (topScores, topIndices.Select(i => (long)i).ToArray());
            });
            cache.Reorder(nextRows);
            if (search.AllDone)
            {
                break;
            }
        }

        return search.Finish(maxLength).Sequences;
    }

    /// <summary>The <paramref name="k"/> largest values, best first; on ties the lower index first.</summary>
    internal static (float[] Scores, int[] Indices) TopK(ReadOnlySpan<float> values, int k)
    {
        var scores = new float[k];
        var indices = new int[k];
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            if (count == k && !(x > scores[k - 1]))
            {
                continue;
            }

            var at = Math.Min(count, k - 1);
            while (at > 0 && x > scores[at - 1])
            {
                if (at < k)
                {
                    scores[at] = scores[at - 1];
                    indices[at] = indices[at - 1];
                }

                at--;
            }

            scores[at] = x;
            indices[at] = i;
            count = Math.Min(count + 1, k);
        }

        return (scores, indices);
    }
}
