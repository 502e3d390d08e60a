using System.Collections.Concurrent;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Token ids of candidate answers, tokenised once per student: a closed label set (or a dataset's recurring choices)
/// is tokenised on first use and then read back, not re-tokenised per row. Bounded: when it holds
/// <see cref="Capacity"/> texts it starts over, so per-row candidates (a single-task student's own rationale plus each
/// label) cannot grow it without end. Safe to use from several threads.
/// </summary>
internal sealed class CandidateTokenCache(T5Tokenizer tokenizer, int maxLength)
{
    /// <summary>The most texts held at once.</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, int[]> ids = new(StringComparer.Ordinal);

    /// <summary>The token ids of <paramref name="text"/> (EOS appended, cut to the student's target length).</summary>
    public int[] Get(string text)
    {
        if (ids.TryGetValue(text, out var cached))
        {
            return cached;
        }

        if (ids.Count >= Capacity)
        {
            ids.Clear();
        }

        return ids.GetOrAdd(text, t => tokenizer.Encode(t, addEos: true, maxLength));
    }

    /// <summary>How many texts are held now.</summary>
    public int Count => ids.Count;
}
