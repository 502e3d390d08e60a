namespace MLNet.StepDistill.T5;

/// <summary>
/// Settings of a T5's generation, the same for both runtimes: the TorchSharp <c>T5ForConditionalGeneration.Generate</c>
/// and ONNX Runtime's <c>OnnxT5Model.Generate</c> (Hugging Face <c>generate</c> names in brackets).
/// </summary>
public sealed class T5GenerationOptions
{
    /// <summary>Most tokens generated after the start token (<c>max_new_tokens</c>). Default 20, HF's default max_length.</summary>
    public int MaxNewTokens { get; set; } = 20;

    /// <summary>1 for greedy search, more for beam search (<c>num_beams</c>). Default 1.</summary>
    public int NumBeams { get; set; } = 1;

    /// <summary>Beam scores are divided by length^LengthPenalty (<c>length_penalty</c>). Default 1.0.</summary>
    public double LengthPenalty { get; set; } = 1.0;

    /// <summary>
    /// Reuse decoder keys/values between steps (<c>use_cache</c>). Default true; false recomputes the whole prefix each
    /// step (TorchSharp only, to check the cache; the ONNX runtime refuses it).
    /// </summary>
    public bool UseCache { get; set; } = true;

    /// <summary>Checks every option and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxNewTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "T5GenerationOptions.MaxNewTokens must be at least 1.");
        }

        if (NumBeams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(NumBeams), NumBeams, "T5GenerationOptions.NumBeams must be at least 1.");
        }
    }
}
