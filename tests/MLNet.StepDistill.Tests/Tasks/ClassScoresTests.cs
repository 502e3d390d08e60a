using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public sealed class ClassScoresTests
{
    [Fact]
    public void Softmax_OfLogLikelihoods_GivesProbabilitiesWithTheRightRatios()
    {
        var scores = ClassScores.Softmax([MathF.Log(0.2f), MathF.Log(0.6f), MathF.Log(0.2f)], 3);
        Assert.Equal(0.2f, scores[0], 5);
        Assert.Equal(0.6f, scores[1], 5);
        Assert.Equal(1f, scores.Sum(), 5);
        Assert.Equal(1, ClassScores.ArgMax(scores, 3));
    }

    [Fact]
    public void Softmax_LeavesSlotsPastTheCandidatesAtZero_AndSurvivesVeryNegativeValues()
    {
        var scores = ClassScores.Softmax([-1000f, -1001f], 5);
        Assert.Equal(5, scores.Length);
        Assert.Equal([0f, 0f, 0f], scores[2..]);
        Assert.Equal(1 / (1 + MathF.Exp(-1)), scores[0], 5);
    }

    [Fact]
    public void ArgMax_TakesTheFirstOfEqualScores() => Assert.Equal(0, ClassScores.ArgMax([0.5f, 0.5f], 2));
}
