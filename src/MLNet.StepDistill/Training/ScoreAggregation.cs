namespace MLNet.StepDistill.Training;

/// <summary>How a candidate answer's token log-likelihoods become its score (before the softmax over the candidates).</summary>
public enum ScoreAggregation
{
    /// <summary>The sum over the candidate's tokens, EOS included: the log-likelihood of the whole text. Favours short candidates.</summary>
    Sum,

    /// <summary>The mean over the candidate's tokens, EOS included: the length-normalised log-likelihood.</summary>
    Mean,
}
