namespace MLNet.StepDistill.T5;

/// <summary>Generated sequences, as HF's <c>generate</c> returns them.</summary>
public sealed class T5GenerationResult
{
    internal T5GenerationResult(long[][] sequences, float[]? sequenceScores)
    {
        Sequences = sequences;
        SequenceScores = sequenceScores;
    }

    /// <summary>One row per input: the decoder start token, the generated ids, pad after EOS; all rows the same length.</summary>
    public long[][] Sequences { get; }

    /// <summary>Beam search only: each returned hypothesis's sum of token log-probabilities divided by its length^length_penalty.</summary>
    public float[]? SequenceScores { get; }
}
