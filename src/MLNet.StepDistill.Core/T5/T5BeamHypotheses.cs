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
}
