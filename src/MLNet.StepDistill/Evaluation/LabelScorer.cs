using System.Text;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Evaluation;

/// <summary>
/// Compares a predicted label (the teacher's or the student's) with the gold target, per task family:
/// multiple-choice, NLI and classification by normalised text (<see cref="Normalize"/>); math by the value of both
/// expressions (<see cref="ArithmeticEvaluator.ExpressionsMatch"/>).
/// </summary>
public static class LabelScorer
{
    /// <summary>True when <paramref name="predicted"/> counts as the gold label; false when either is null or empty.</summary>
    public static bool IsCorrect(TaskFamily family, string? predicted, string? gold)
    {
        if (string.IsNullOrWhiteSpace(predicted) || string.IsNullOrWhiteSpace(gold))
        {
            return false;
        }

        return family == TaskFamily.Math
            ? ArithmeticEvaluator.ExpressionsMatch(predicted, gold)
            : Normalize(predicted) == Normalize(gold);
    }

    /// <summary>
    /// Text as compared: lower-case (invariant), runs of white space as one space, trimmed, and a trailing full stop
    /// removed. <c>" Wooded  Area."</c> -> <c>"wooded area"</c>.
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
}
