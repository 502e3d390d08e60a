namespace MLNet.StepDistill.Files;

/// <summary>
/// A model, checkpoint, tokenizer or config file that cannot be loaded as it is: malformed, truncated, inconsistent
/// with its config, or beyond a documented limit. The message names the file (and the tensor, key or entry when
/// known), e.g. <c>model/model.safetensors: tensor "shared.weight": dtype I32, but T5 weights are floating point</c>.
/// An <see cref="IOException"/>, as other problems with a file are.
/// </summary>
public class ModelFormatException : IOException
{
    /// <summary>Creates the exception; the message is <c>"{filePath}: {problem}"</c>.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="problem">What is wrong, in words (naming the tensor, key or entry when known).</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public ModelFormatException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
