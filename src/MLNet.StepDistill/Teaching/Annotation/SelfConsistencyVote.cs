using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Self-consistency over a row's parsed samples: samples whose labels count as the same answer
/// (<see cref="AnswerComparer.Same(TaskFamily, string?, string?)"/>: normalised text, or equal value for math) form a group; the largest group wins,
/// the earlier one on a tie, and its first sample gives the label and the rationale. With one sample this is that sample.
/// </summary>
internal static class SelfConsistencyVote
{
    /// <summary>
    /// The winning sample and how many samples agree with it; <c>null</c> when no sample gave a label. Samples with a
    /// rationale vote first; only when none has one do the label-only samples vote (the winner is then label-only).
    /// </summary>
    public static (ParsedCompletion Winner, int Votes)? Decide(TaskFamily family, IReadOnlyList<ParsedCompletion> samples)
    {
        var voters = samples.Any(s => s.IsOk) ? samples.Where(s => s.IsOk) : samples.Where(s => s.HasLabel);
        var groups = new List<(ParsedCompletion First, int Votes)>();
        foreach (var sample in voters)
        {
            var index = groups.FindIndex(g => family.SameAnswer(sample.Label, g.First.Label));
            if (index < 0)
            {
                groups.Add((sample, 1));
            }
            else
            {
                groups[index] = (groups[index].First, groups[index].Votes + 1);
            }
        }
        if (groups.Count == 0)
        {
            return null;
        }
        var best = groups[0];
        foreach (var group in groups.Skip(1))
        {
            if (group.Votes > best.Votes)
            {
                best = group;
            }
        }
        return best;
    }
}
