namespace MLNet.StepDistill.T5;

/// <summary>
/// The finished hypotheses of one input during beam search, as HF 4.36's <c>BeamHypotheses</c>: keeps the best
/// <c>numBeams</c> by sum of log-probabilities / generated length^length_penalty.
/// </summary>
internal sealed class T5BeamHypotheses
{
    private readonly int numBeams;
    private readonly double lengthPenalty;
    private readonly List<(double Score, long[] Tokens)> beams = [];
    private double worstScore = 1e9;

    public T5BeamHypotheses(int numBeams, double lengthPenalty)
    {
        this.numBeams = numBeams;
        this.lengthPenalty = lengthPenalty;
    }

    public int Count => beams.Count;

    /// <summary>Adds a hypothesis whose generated part (start token excluded) has <paramref name="generatedLength"/> tokens.</summary>
    public void Add(long[] tokens, double sumLogProbs, int generatedLength)
    {
        var score = sumLogProbs / Math.Pow(generatedLength, lengthPenalty);
        if (beams.Count < numBeams || score > worstScore)
        {
            beams.Add((score, tokens));
            if (beams.Count > numBeams)
            {
                var ranked = beams.Select((b, i) => (b.Score, Index: i)).OrderBy(x => x.Score).ThenBy(x => x.Index).ToList();
                beams.RemoveAt(ranked[0].Index);
                worstScore = ranked[1].Score;
            }
            else
            {
                worstScore = Math.Min(score, worstScore);
            }
        }
    }

    /// <summary>
    /// Whether no open beam can beat the kept hypotheses any more (HF with <c>early_stopping=False</c>): the best
    /// running sum divided by the current generated length^length_penalty is no better than the worst kept score.
    /// </summary>
    public bool IsDone(double bestSumLogProbs, int generatedLength)
    {
        if (beams.Count < numBeams)
        {
            return false;
        }

        var highestAttainable = bestSumLogProbs / Math.Pow(generatedLength, lengthPenalty);
        return worstScore >= highestAttainable;
    }

    /// <summary>The best hypothesis (on ties, the one added last, as Python's stable sort then pop gives).</summary>
    public (double Score, long[] Tokens) Best() =>
        beams.Select((b, i) => (b, i)).OrderBy(x => x.b.Score).ThenBy(x => x.i).Last().b;

    /// <summary>
    /// The end of a beam search (HF 4.36's <c>finalize</c>), the same for both runtimes: every unfinished input's live
    /// beams join its hypotheses, and each input's best becomes one row padded with <paramref name="pad"/> to the longest
    /// (capped at <paramref name="maxLength"/>), with <paramref name="eos"/> after a hypothesis that stopped short.
    /// </summary>
    /// <param name="sequences">The live beams, input-major ([input * beams + k]), start token first.</param>
    /// <param name="beamScores">Their sums of log-probabilities, in the same order.</param>
    /// <param name="hypotheses">Each input's finished hypotheses.</param>
    /// <param name="done">Which inputs finished already (their live beams are not added).</param>
    /// <param name="beams">Beams per input.</param>
    /// <param name="maxLength">The longest output row.</param>
    /// <param name="pad">The pad id.</param>
    /// <param name="eos">The end-of-sequence id.</param>
    /// <returns>One row per input and its best hypothesis' score.</returns>
    public static (long[][] Sequences, float[] Scores) Finish(
        long[][] sequences, float[] beamScores, T5BeamHypotheses[] hypotheses, bool[] done, int beams, int maxLength, long pad, long eos)
    {
        var batch = hypotheses.Length;
        for (var b = 0; b < batch; b++)
        {
            if (done[b])
            {
                continue;
            }

            for (var k = 0; k < beams; k++)
            {
                var row = sequences[b * beams + k];
                hypotheses[b].Add(row, beamScores[b * beams + k], generatedLength: row.Length - 1);
            }
        }

        var best = hypotheses.Select(h => h.Best()).ToArray();
        var lengths = best.Select(h => h.Tokens.Length).ToArray();
        var width = Math.Min(lengths.Max() + 1, maxLength);
        var output = new long[batch][];
        for (var b = 0; b < batch; b++)
        {
            var row = Enumerable.Repeat(pad, width).ToArray();
            best[b].Tokens.AsSpan(0, Math.Min(lengths[b], width)).CopyTo(row);
            if (lengths[b] < width)
            {
                row[lengths[b]] = eos;
            }

            output[b] = row;
        }

        return (output, best.Select(h => (float)h.Score).ToArray());
    }
}
