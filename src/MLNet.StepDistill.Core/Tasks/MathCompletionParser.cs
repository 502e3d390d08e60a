using System.Globalization;
using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// SVAMP's answer: after the answer statement (<c>"The answer is (10 - (3 + 6))."</c>) the first parenthesised
/// expression, read with balanced parentheses (the paper's greedy pattern ran to the line's last ')'); without
/// parentheses, the statement's text itself when it is arithmetic (<c>Final answer: 21</c>, <c>$21.</c>). Two
/// parenthesised expressions of different values joined by "or" name two answers. Unbalanced parentheses, or an
/// expression the <see cref="ArithmeticEvaluator"/> cannot evaluate, are parse failures.
/// </summary>
/// <param name="markers">Where the answer is; the family default is <c>"The answer is"</c> cut at <c>"Q:"</c>.</param>
public sealed partial class MathCompletionParser(CompletionMarkers markers) : CompletionParser(markers)
{
    /// <summary>A parser with the paper's markers.</summary>
    public MathCompletionParser()
        : this(TaskFamily.Math.DefaultMarkers)
    {
    }

    /// <inheritdoc />
    protected override AnswerReading ReadAnswer(string answer, TaskExample example)
    {
        var open = answer.IndexOf('(');
        if (open < 0)
        {
            var plain = TrimFullStop(CutExplanation(answer)).TrimStart('$').Replace(",", "", StringComparison.Ordinal).Trim();
            if (plain.Length > 0 && ArithmeticEvaluator.TryEvaluate(plain, out _, out _))
            {
                return AnswerReading.Of(plain);
            }

            return AnswerReading.Failed(ParseFailure.NoLabel, $"no parenthesised expression after \"{Markers.AnswerMarker}\"");
        }

        if (!TryBalanced(answer, open, out var close))
        {
            return AnswerReading.Failed(ParseFailure.InvalidLabel, $"unbalanced parentheses in the answer {answer[open..].Trim()}");
        }

        var expression = answer[open..(close + 1)];
        if (!ArithmeticEvaluator.TryEvaluate(expression, out var value, out var error))
        {
            return AnswerReading.Failed(ParseFailure.InvalidLabel, $"answer {expression} is not arithmetic: {error}");
        }

        var rest = answer[(close + 1)..];
        if (OrThenExpression().Match(rest) is { Success: true } or && TryBalanced(rest, or.Index + or.Length - 1, out var secondClose)
            && ArithmeticEvaluator.TryEvaluate(rest[(or.Index + or.Length - 1)..(secondClose + 1)], out var other, out _)
            && !ArithmeticEvaluator.ExpressionsMatch(expression, other.ToString(CultureInfo.InvariantCulture)))
        {
            return AnswerReading.Failed(ParseFailure.TwoAnswers, $"answer \"{answer.Trim()}\" names two answers ({value.ToString(CultureInfo.InvariantCulture)}, {other.ToString(CultureInfo.InvariantCulture)})");
        }

        return AnswerReading.Of(expression);
    }

    private static bool TryBalanced(string text, int open, out int close)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            depth += text[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0)
            {
                close = i;
                return true;
            }
        }

        close = -1;
        return false;
    }

    [GeneratedRegex(@"^\s*,?\s*or\s+\(", RegexOptions.IgnoreCase)]
    private static partial Regex OrThenExpression();
}
