namespace MLNet.StepDistill.T5;

/// <summary>The likelihood of one target sequence given its input.</summary>
/// <param name="LogLikelihood">Sum of the natural-log probabilities of the target tokens, EOS included.</param>
/// <param name="TokenCount">Number of target tokens scored (positions not marked -100), EOS included.</param>
public readonly record struct T5TargetScore(float LogLikelihood, int TokenCount)
{
    /// <summary>Log-likelihood per token (0 for an empty target).</summary>
    public float MeanLogLikelihood => TokenCount == 0 ? 0f : LogLikelihood / TokenCount;
}
