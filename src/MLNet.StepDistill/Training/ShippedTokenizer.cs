using System.Security.Cryptography;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The shipped SentencePiece model for students trained from scratch (<c>datasets/tokenizer/spiece.model</c>, vocab 4000,
/// T5 conventions). It is also embedded in the library, so a NuGet user without the repository's datasets has it too.
/// </summary>
internal static class ShippedTokenizer
{
    public const string RelativePath = "datasets/tokenizer/spiece.model";

    private const string ResourceName = "MLNet.StepDistill.Tokenizer.spiece.model";

    /// <summary>
    /// The repository's copy when the working folder or the application folder is inside a clone; otherwise the embedded
    /// copy, written once to a per-user cache file named by its hash.
    /// </summary>
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

        return ExtractEmbedded();
    }

    /// <summary>Writes the embedded copy to the per-user cache (once) and returns its path.</summary>
    internal static string ExtractEmbedded()
    {
        using var stream = typeof(ShippedTokenizer).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The library lacks its embedded tokenizer {ResourceName}; set MultiTaskSeq2SeqTrainerOptions.TokenizerPath (CLI: --tokenizer) to a spiece.model.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "MLNet.StepDistill");
        var path = Path.Combine(folder, $"spiece-{hash}.model");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(folder);
            var temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }

        return path;
    }
}
