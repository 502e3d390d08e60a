using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class AnswerComparerTests
{
    [Theory]
    [InlineData("multiple-choice-qa", "Wooded  Area.", "wooded area", true)]
    [InlineData("multiple-choice-qa", "wooded", "wooded area", false)]
    [InlineData("nli", "Neutral", "neutral", true)]
    [InlineData("nli", "entailment", "neutral", false)]
    [InlineData("classification", " positive ", "positive", true)]
    [InlineData("math", "(10 - (3 + 6))", "( 10.0 - ( 6.0 + 3.0 ) )", true)]
    [InlineData("math", "(10 - 3 + 6)", "( 10.0 - ( 6.0 + 3.0 ) )", false)]
    [InlineData("math", "(2 * x)", "( 2.0 )", false)]
    [InlineData("nli", null, "neutral", false)]
    [InlineData("nli", "neutral", "", false)]
    public void Compares_text_by_normalised_equality_and_math_by_value(string family, string? predicted, string gold, bool correct)
    {
        Assert.Equal(correct, AnswerComparer.Same(TaskFamily.Parse(family), predicted, gold));
    }
}
