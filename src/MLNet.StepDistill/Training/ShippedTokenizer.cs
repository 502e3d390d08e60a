namespace MLNet.StepDistill.Training;

/// <summary>Finds the shipped SentencePiece model (<c>datasets/tokenizer/spiece.model</c>, vocab 4000, T5 conventions) for students trained from scratch.</summary>
internal static class ShippedTokenizer
{
    public const string RelativePath = "datasets/tokenizer/spiece.model";

    /// <summary>Looks in the working folder, the application folder, and their parents.</summary>
    /// <exception cref="FileNotFoundException">Not found; the message says how to point at one.</exception>
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException(
            $"The shipped tokenizer {RelativePath} was not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}; " +
            "set Options.TokenizerPath (CLI: --tokenizer) to a spiece.model.");
    }
}
