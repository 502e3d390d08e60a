using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

public class ShippedTokenizerTests
{
    [Fact]
    public void Embedded_tokenizer_is_the_shipped_file()
    {
        var shipped = File.ReadAllBytes(Path.Combine(RepoPaths.Root, ShippedTokenizer.RelativePath));
        using var embedded = typeof(ShippedTokenizer).Assembly.GetManifestResourceStream("MLNet.StepDistill.Tokenizer.spiece.model");
        Assert.NotNull(embedded);
        using var copy = new MemoryStream();
        embedded.CopyTo(copy);
        Assert.Equal(shipped, copy.ToArray());
    }

    [Fact]
    public void Outside_a_clone_the_embedded_copy_is_written_once_and_loads()
    {
        var path = ShippedTokenizer.ExtractEmbedded();
        Assert.Equal(path, ShippedTokenizer.ExtractEmbedded());
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Root, ShippedTokenizer.RelativePath)), File.ReadAllBytes(path));
        Assert.Equal(4000, MLNet.StepDistill.T5.T5Tokenizer.FromFile(path).VocabSize);
    }
}
