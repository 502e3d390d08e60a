namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Turns a student's log-likelihoods of each class's text into ML.NET's Score vector: a softmax over the classes, so
/// the scores are the student's probabilities of each label given that the answer is one of them.
/// </summary>
internal static class ClassScores
{
    /// <summary>
    /// Softmax of <paramref name="logLikelihoods"/> into a vector of <paramref name="classCount"/> slots; slots past the
    /// candidates (a row with fewer choices) get 0.
    /// </summary>
    public static float[] Softmax(IReadOnlyList<float> logLikelihoods, int classCount)
    {
        var scores = new float[classCount];
        var count = Math.Min(classCount, logLikelihoods.Count);
        if (count == 0)
        {
            return scores;
        }

        var max = double.NegativeInfinity;
        for (var i = 0; i < count; i++)
        {
            max = Math.Max(max, logLikelihoods[i]);
        }

        var sum = 0.0;
        var exp = new double[count];
        for (var i = 0; i < count; i++)
        {
            exp[i] = Math.Exp(logLikelihoods[i] - max);
            sum += exp[i];
        }

        for (var i = 0; i < count; i++)
        {
            scores[i] = (float)(exp[i] / sum);
        }

        return scores;
    }

    /// <summary>The first index of the highest score among the first <paramref name="count"/>, or -1 when there is none.</summary>
    public static int ArgMax(IReadOnlyList<float> scores, int count)
    {
        var best = -1;
        for (var i = 0; i < Math.Min(count, scores.Count); i++)
        {
            if (best < 0 || scores[i] > scores[best])
            {
                best = i;
            }
        }

        return best;
    }
}
