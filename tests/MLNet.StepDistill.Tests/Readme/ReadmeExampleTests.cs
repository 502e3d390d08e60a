using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Readme;

[Collection(TorchRandomStateCollection.Name)]
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_pipeline_example_is_the_code_this_test_runs()
    {
        var source = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "MLNet.StepDistill.Tests", "Readme", "ReadmePipelineExample.cs"));
        var example = string.Join("\n\n", Region(source, "README:usings"), Region(source, "README"), Region(source, "README:types"));

        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).Replace("\r\n", "\n");
        Assert.Contains("```csharp\n" + example + "\n```", readme);
    }

    /// <summary>The lines between <c>// {marker}:begin</c> and <c>// {marker}:end</c>, without the first line's indentation.</summary>
    private static string Region(string[] source, string marker)
    {
        var begin = Array.FindIndex(source, l => l.Trim() == $"// {marker}:begin");
        var end = Array.FindIndex(source, l => l.Trim() == $"// {marker}:end");
        Assert.True(begin >= 0 && end > begin, $"markers {marker} not found");
        var indent = source[begin].Length - source[begin].TrimStart().Length;
        return string.Join("\n", source[(begin + 1)..end].Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [Fact]
    public void Readme_pipeline_example_runs_end_to_end_from_the_repository_root()
    {
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(RepoPaths.Root);
        try
        {
            var (metrics, served, classes) = ReadmePipelineExample.Run();

            Assert.Equal(["entailment", "neutral", "contradiction"], classes);   // dataset.json's order; the rows first show neutral
            Assert.Equal(3, metrics.ConfusionMatrix.NumberOfClasses);
            Assert.InRange(metrics.MicroAccuracy, 0, 1);
            Assert.True(double.IsFinite(metrics.LogLoss));
            Assert.Contains(served.PredictedText, new[] { "entailment", "neutral", "contradiction" });
            Assert.Equal(3, served.Score.Length);
            Assert.Equal(1.0, served.Score.Sum(), 3);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }
}
