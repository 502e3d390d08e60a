using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class ArithmeticEvaluatorTests
{
    [Theory]
    [InlineData("42", 42)]
    [InlineData("( 84.0 / 2.0 )", 42)]
    [InlineData("( 10.0 - ( 6.0 + 3.0 ) )", 1)]
    [InlineData("2 + 3 * 4", 14)]
    [InlineData("(2 + 3) * 4", 20)]
    [InlineData("10 - 4 - 3", 3)]
    [InlineData("48 / 4 / 2", 6)]
    [InlineData("-3 + 5", 2)]
    [InlineData("2 * -3", -6)]
    [InlineData("-(2 + 3)", -5)]
    [InlineData("--4", 4)]
    [InlineData("+4", 4)]
    [InlineData(".5 * 4", 2)]
    [InlineData("7 / 2", 3.5)]
    public void Evaluates_with_precedence_left_associativity_and_unary_signs(string expression, double expected)
    {
        Assert.True(ArithmeticEvaluator.TryEvaluate(expression, out var value, out var error), error);
        Assert.Equal(expected, value, 1e-12);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData(null, "empty")]
    [InlineData("4 / 0", "division by zero")]
    [InlineData("4 / (2 - 2)", "division by zero")]
    [InlineData("(1 + 2", "unbalanced '('")]
    [InlineData("1 + 2)", "unbalanced ')'")]
    [InlineData("2 * x", "unexpected 'x'")]
    [InlineData("1 +", "ends where a number")]
    [InlineData("3 4", "unexpected '4'")]
    [InlineData("2 ** 3", "unexpected '*'")]
    [InlineData("__import__('os')", "unexpected '_'")]
    [InlineData("1e5", "unexpected 'e'")]
    [InlineData("(14, 21)", "expected ')'")]
    [InlineData(".", "unexpected '.'")]
    public void Anything_else_is_a_failure_with_a_reason(string? expression, string reason)
    {
        Assert.False(ArithmeticEvaluator.TryEvaluate(expression, out var value, out var error));
        Assert.True(double.IsNaN(value));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Deep_nesting_fails_instead_of_overflowing_the_stack()
    {
        var deep = new string('(', 4000) + "1" + new string(')', 4000);
        var minuses = new string('-', 9000) + "1";

        Assert.False(ArithmeticEvaluator.TryEvaluate(deep, out _, out var error));
        Assert.Contains("nested deeper than", error);
        Assert.False(ArithmeticEvaluator.TryEvaluate(minuses, out _, out error));
        Assert.Contains("nested deeper than", error);
        Assert.False(ArithmeticEvaluator.TryEvaluate(new string('(', 9000), out _, out _));
        Assert.False(ArithmeticEvaluator.TryEvaluate(new string('(', 100_000), out _, out error));
        Assert.Contains("the limit is 10000", error);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_fine()
    {
        var depth = ArithmeticEvaluator.MaxDepth;
        Assert.True(ArithmeticEvaluator.TryEvaluate(new string('(', depth) + "7" + new string(')', depth), out var value, out _));
        Assert.Equal(7, value);
    }

    [Fact]
    public void Values_match_within_a_relative_tolerance()
    {
        Assert.True(ArithmeticEvaluator.ExpressionsMatch("(10 * 45)", "( 10.0 * 45.0 )"));
        Assert.True(ArithmeticEvaluator.ExpressionsMatch("(1 / 3)", "0.33333"));
        Assert.False(ArithmeticEvaluator.ExpressionsMatch("(1 / 3)", "0.333"));
        Assert.True(ArithmeticEvaluator.ValuesMatch(1_000_000, 1_000_050));
        Assert.False(ArithmeticEvaluator.ValuesMatch(1_000_000, 1_000_200));
        Assert.False(ArithmeticEvaluator.ExpressionsMatch("(2 * x)", "(2 * x)"));
    }
}
