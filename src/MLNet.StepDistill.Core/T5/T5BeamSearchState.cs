namespace MLNet.StepDistill.T5;

/// <summary>
/// The bookkeeping of a beam search as HF 4.36's <c>_beam_search</c> with <c>BeamSearchScorer</c> (no early stopping),
/// the same for both runtimes: each step takes every unfinished input's top 2 x beams candidates, moves EOS candidates
/// ranked within the first beams to the finished hypotheses, and continues the best non-EOS ones; an input is done once
/// no open beam can beat its finished ones. The runtimes compute the candidates (decoder step, log-softmax, top-k).
/// </summary>
internal sealed class T5BeamSearchState
{
    private readonly int beams;
    private readonly long pad;
    private readonly long eos;
    private readonly T5BeamHypotheses[] hypotheses;
    private readonly bool[] done;

    /// <summary>Starts <paramref name="batch"/> inputs with <paramref name="beams"/> beams each at the decoder start token (only each input's first beam live).</summary>
    public T5BeamSearchState(int batch, int beams, double lengthPenalty, long decoderStartTokenId, long pad, long eos)
    {
        this.beams = beams;
        this.pad = pad;
        this.eos = eos;
        var rows = batch * beams;
        Sequences = Enumerable.Range(0, rows).Select(_ => new[] { decoderStartTokenId }).ToArray();
        BeamScores = Enumerable.Range(0, rows).Select(r => r % beams == 0 ? 0f : -1e9f).ToArray();
        hypotheses = Enumerable.Range(0, batch).Select(_ => new T5BeamHypotheses(beams, lengthPenalty)).ToArray();
        done = new bool[batch];
    }

    /// <summary>The live beams, input-major ([input * beams + k]), start token first.</summary>
    public long[][] Sequences { get; private set; }

    /// <summary>The live beams' sums of log-probabilities, in the order of <see cref="Sequences"/>; a step adds them to its log-probabilities.</summary>
    public float[] BeamScores { get; private set; }

    /// <summary>Whether every input is done.</summary>
    public bool AllDone => done.All(d => d);

    /// <summary>Whether input <paramref name="input"/> is done (its beams only get pad).</summary>
    public bool IsDone(int input) => done[input];

    /// <summary>Each live beam's last token: the next decoder input with a key/value cache.</summary>
    public long[] LastTokens() => Sequences.Select(s => s[^1]).ToArray();

    /// <summary>
    /// One step at generated length <paramref name="length"/> (1 for the first new token).
    /// <paramref name="topCandidates"/> gives, for an unfinished input, its 2 x beams best (log-probability + beam score,
    /// index into its beams x <paramref name="vocab"/> flattened scores), best first; it is not called for done inputs.
    /// </summary>
    /// <returns>For each new beam, the row of the beam it continues: reorder the decoder cache by it.</returns>
    public int[] Step(int length, long vocab, Func<int, (float[] Scores, long[] Indices)> topCandidates)
    {
        var rows = Sequences.Length;
        var nextScores = new float[rows];
        var nextTokens = new long[rows];
        var nextRows = new int[rows];
        for (var b = 0; b < done.Length; b++)
        {
            if (done[b])
            {
                for (var k = 0; k < beams; k++)
                {
                    nextTokens[b * beams + k] = pad;
                }

                continue;
            }

            var (scores, indices) = topCandidates(b);
            var kept = 0;
            for (var rank = 0; rank < 2 * beams && kept < beams; rank++)
            {
                var flat = indices[rank];
                var score = scores[rank];
                var token = flat % vocab;
                var sourceRow = b * beams + (int)(flat / vocab);
                if (token == eos)
                {
                    if (rank < beams)
                    {
                        hypotheses[b].Add(Sequences[sourceRow], score, generatedLength: length);
                    }

                    continue;
                }

                nextScores[b * beams + kept] = score;
                nextTokens[b * beams + kept] = token;
                nextRows[b * beams + kept] = sourceRow;
                kept++;
            }

            done[b] = hypotheses[b].IsDone(scores[0], generatedLength: length);
        }

        var previous = Sequences;
        Sequences = Enumerable.Range(0, rows).Select(r => previous[nextRows[r]].Append(nextTokens[r]).ToArray()).ToArray();
        BeamScores = nextScores;
        return nextRows;
    }

    /// <summary>The end of the search (<see cref="T5BeamHypotheses.Finish"/>): one row per input, padded, and its best hypothesis' score.</summary>
    public (long[][] Sequences, float[] Scores) Finish(int maxLength) =>
        T5BeamHypotheses.Finish(Sequences, BeamScores, hypotheses, done, beams, maxLength, pad, eos);
}
