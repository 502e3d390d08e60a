using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// Beam search as HF 4.36's <c>_beam_search</c> with <c>BeamSearchScorer</c> (no early stopping), step for step as the
/// TorchSharp <c>T5BeamSearch</c>: keep the top 2 x beams candidates of every input, move EOS candidates ranked within
/// the first beams to the finished hypotheses, continue the best non-EOS ones; an input is done once no open beam can
/// beat its finished ones.
/// </summary>
internal static class OnnxBeamSearch
{
    public static long[][] Run(OnnxT5Model model, OnnxEncoderOutput encoded, OnnxGenerationOptions options)
    {
        var facts = model.Manifest.Model;
        var batch = encoded.Rows;
        var beams = options.NumBeams;
        var rows = batch * beams;
        var vocab = facts.VocabSize;
        var maxLength = 1 + options.MaxNewTokens;
        using var cache = new OnnxDecoderCache(model, encoded.RepeatRows(beams));

        var sequences = Enumerable.Range(0, rows).Select(_ => new long[] { facts.DecoderStartTokenId }).ToArray();
        var beamScores = Enumerable.Range(0, rows).Select(r => r % beams == 0 ? 0f : -1e9f).ToArray();
        var hypotheses = Enumerable.Range(0, batch).Select(_ => new T5BeamHypotheses(beams, options.LengthPenalty)).ToArray();
        var done = new bool[batch];
        var logProbs = new float[beams * vocab];

        for (var length = 1; length < maxLength; length++)
        {
            var logits = model.Step(cache, sequences.Select(s => s[^1]).ToArray(), 1);
            var nextScores = new float[rows];
            var nextTokens = new long[rows];
            var nextRows = new int[rows];
            for (var b = 0; b < batch; b++)
            {
                if (done[b])
                {
                    for (var k = 0; k < beams; k++)
                    {
                        nextTokens[b * beams + k] = facts.PadTokenId;
                    }

                    continue;
                }

                for (var k = 0; k < beams; k++)
                {
                    var row = b * beams + k;
                    var slice = logProbs.AsSpan(k * vocab, vocab);
                    OnnxT5Model.LogSoftmax(logits.AsSpan(row * vocab, vocab), slice);
                    for (var v = 0; v < vocab; v++)
                    {
                        slice[v] += beamScores[row];
                    }
                }

                var (topScores, topIndices) = TopK(logProbs, 2 * beams);
                var kept = 0;
                for (var rank = 0; rank < 2 * beams && kept < beams; rank++)
                {
                    var flat = topIndices[rank];
                    var score = topScores[rank];
                    var token = flat % vocab;
                    var sourceRow = b * beams + flat / vocab;
                    if (token == facts.EosTokenId)
                    {
                        if (rank < beams)
                        {
                            hypotheses[b].Add(sequences[sourceRow], score, generatedLength: length);
                        }

                        continue;
                    }

                    nextScores[b * beams + kept] = score;
                    nextTokens[b * beams + kept] = token;
                    nextRows[b * beams + kept] = sourceRow;
                    kept++;
                }

                done[b] = hypotheses[b].IsDone(topScores[0], generatedLength: length);
            }

            sequences = Enumerable.Range(0, rows).Select(r => sequences[nextRows[r]].Append(nextTokens[r]).ToArray()).ToArray();
            beamScores = nextScores;
            cache.Reorder(nextRows);
            if (done.All(d => d))
            {
                break;
            }
        }

        return T5BeamHypotheses.Finish(sequences, beamScores, hypotheses, done, beams, maxLength, facts.PadTokenId, facts.EosTokenId).Sequences;
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
