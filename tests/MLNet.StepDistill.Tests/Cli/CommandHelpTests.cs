using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>Every command's help renders (Spectre reads option descriptions as markup: a stray bracket crashes it).</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CommandHelpTests
{
    [Theory]
    [InlineData]
    [InlineData("doctor")]
    [InlineData("annotate")]
    [InlineData("train")]
    [InlineData("evaluate")]
    [InlineData("predict")]
    [InlineData("export-onnx")]
    [InlineData("experiment")]
    [InlineData("sweep")]
    public void Help_renders_and_exits_zero(params string[] command)
    {
        var (code, error) = ConsoleCollection.RunEntryPoint([.. command, "--help"]);

        Assert.Equal(0, code);
        Assert.Equal("", error);
    }
}
