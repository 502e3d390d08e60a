using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class AnswerComparerTests
{
    [Theory]
    [InlineData(TaskFamily.MultipleChoiceQa, "Wooded  Area.", "wooded area", true)]
    [InlineData(TaskFamily.MultipleChoiceQa, "wooded", "wooded area", false)]
    [InlineData(TaskFamily.Nli, "Neutral", "neutral", true)]
    [InlineData(TaskFamily.Nli, "entailment", "neutral", false)]
    [InlineData(TaskFamily.Classification, " positive ", "positive", true)]
    [InlineData(TaskFamily.Math, "(10 - (3 + 6))", "( 10.0 - ( 6.0 + 3.0 ) )", true)]
    [InlineData(TaskFamily.Math, "(10 - 3 + 6)", "( 10.0 - ( 6.0 + 3.0 ) )", false)]
    [InlineData(TaskFamily.Math, "(2 * x)", "( 2.0 )", false)]
    [InlineData(TaskFamily.Nli, null, "neutral", false)]
    [InlineData(TaskFamily.Nli, "neutral", "", false)]
    public void Compares_text_by_normalised_equality_and_math_by_value(TaskFamily family, string? predicted, string gold, bool correct)
    {
        Assert.Equal(correct, AnswerComparer.Same(family, predicted, gold));
    }
}
