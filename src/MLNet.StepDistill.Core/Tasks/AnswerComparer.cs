using System.Text;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// When two answers are the same, for every stage that asks: the teacher's accuracy, self-consistency voting, validation
/// during training and evaluation. Labels and choices compare as normalised text (<see cref="Normalize"/>); equations by
/// value (<see cref="ArithmeticEvaluator.ExpressionsMatch"/>, relative tolerance
/// <see cref="ArithmeticEvaluator.DefaultRelativeTolerance"/>).
/// </summary>
public static class AnswerComparer
{
    /// <summary>True when <paramref name="predicted"/> counts as <paramref name="gold"/> for <paramref name="kind"/>; false when either is null or blank.</summary>
    public static bool Same(TaskAnswerKind kind, string? predicted, string? gold)
    {
        if (string.IsNullOrWhiteSpace(predicted) || string.IsNullOrWhiteSpace(gold))
        {
            return false;
        }

        return kind == TaskAnswerKind.Equation
            ? ArithmeticEvaluator.ExpressionsMatch(predicted, gold)
            : Normalize(predicted) == Normalize(gold);
    }

    /// <summary>The same comparison for a task family (<see cref="TaskFamily.AnswerKind"/>).</summary>
    public static bool Same(TaskFamily family, string? predicted, string? gold) => Same((family ?? throw new ArgumentNullException(nameof(family))).AnswerKind, predicted, gold);

    /// <summary>
    /// Text as compared: lower-case (invariant), runs of white space as one space, trimmed, and trailing full stops
    /// removed. <c>" Wooded  Area."</c> -&gt; <c>"wooded area"</c>.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text.Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space && builder.Length > 0)
            {
                builder.Append(' ');
            }

            space = false;
            builder.Append(char.ToLowerInvariant(c));
        }

        while (builder.Length > 0 && builder[^1] == '.')
        {
            builder.Length--;
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>The 0-based position of the first of <paramref name="choices"/> that is the same as <paramref name="answer"/>, or -1.</summary>
    public static int PositionAmong(string? answer, IReadOnlyList<string> choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        for (var i = 0; i < choices.Count; i++)
        {
            if (Same(TaskAnswerKind.Choice, answer, choices[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
