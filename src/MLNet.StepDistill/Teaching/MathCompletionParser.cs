using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// SVAMP's rule: after the cut and the answer marker (<c>"The answer is (10 - (3 + 6))."</c>) the label is the first
/// parenthesised expression, read with balanced parentheses (the paper's greedy pattern ran to the line's last ')').
/// No parenthesis, unbalanced parentheses, or an expression the <see cref="ArithmeticEvaluator"/> cannot evaluate are
/// parse failures.
/// </summary>
/// <param name="markers">Where the answer is; the family default is <c>"The answer is"</c> cut at <c>"Q:"</c>.</param>
public sealed class MathCompletionParser(CompletionMarkers markers) : ICompletionParser
{
    /// <summary>A parser with the paper's markers.</summary>
    public MathCompletionParser()
        : this(CompletionMarkers.DefaultFor(TaskFamily.Math))
    {
    }

    /// <inheritdoc />
    public ParsedCompletion Parse(string? completion, TaskExample example)
    {
        if (!CompletionSections.TrySplit(completion, markers, out var rationale, out var answer, out var failure))
        {
            return failure!;
        }

        var open = answer.IndexOf('(');
        if (open < 0)
        {
            return ParsedCompletion.Failed(ParseFailure.NoLabel, $"no parenthesised expression after \"{markers.AnswerMarker}\"", rationale);
        }

        var depth = 0;
        var close = -1;
        for (var i = open; i < answer.Length && close < 0; i++)
        {
            depth += answer[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0)
            {
                close = i;
            }
        }

        if (close < 0)
        {
            return ParsedCompletion.Failed(ParseFailure.InvalidLabel, $"unbalanced parentheses in the answer {CompletionSections.FirstLine(answer[open..])}", rationale);
        }

        var expression = answer[open..(close + 1)];
        if (!ArithmeticEvaluator.TryEvaluate(expression, out _, out var error))
        {
            return ParsedCompletion.Failed(ParseFailure.InvalidLabel, $"answer {expression} is not arithmetic: {error}", rationale);
        }

        return ParsedCompletion.OkIfRationale(rationale, expression);
    }
}
