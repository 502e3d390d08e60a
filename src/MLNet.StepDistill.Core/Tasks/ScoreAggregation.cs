namespace MLNet.StepDistill.Tasks;

/// <summary>How a candidate answer's token log-likelihoods become its score (before the softmax over the candidates).</summary>
public enum ScoreAggregation
{
    /// <summary>The sum over the candidate's tokens, EOS included: the log-likelihood of the whole text. Favours short candidates.</summary>
    Sum,

    /// <summary>The mean over the candidate's tokens, EOS included: the length-normalised log-likelihood.</summary>
    Mean,

    /// <summary>
    /// The log-probability of the candidate's first token only (rank classification): every candidate is read from the
    /// decoder's first step, one decoder position per row, so it is the cheapest closed-set scoring. Needs candidates whose
    /// first tokens differ (the trainer checks a label set; it is refused for multiple-choice rows, whose choices vary).
    /// </summary>
    FirstToken,
}
