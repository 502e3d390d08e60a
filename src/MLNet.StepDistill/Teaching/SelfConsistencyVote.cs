using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Self-consistency over a row's parsed samples: samples whose labels count as the same answer
/// (<see cref="AnswerComparer.Same(TaskFamily, string?, string?)"/>: normalised text, or equal value for math) form a group; the largest group wins,
/// the earlier one on a tie, and its first sample gives the label and the rationale. With one sample this is that sample.
/// </summary>
internal static class SelfConsistencyVote
{
    /// <summary>The winning sample and how many samples agree with it; <c>null</c> when no sample parsed.</summary>
    public static (ParsedCompletion Winner, int Votes)? Decide(TaskFamily family, IReadOnlyList<ParsedCompletion> samples)
    {
        var groups = new List<(ParsedCompletion First, int Votes)>();
        foreach (var sample in samples.Where(s => s.IsOk))
        {
            var index = groups.FindIndex(g => AnswerComparer.Same(family, sample.Label, g.First.Label));
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
