using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>A dataset.json key the manifest does not know names the file, the line and the key, and suggests the nearest valid key.</summary>
public class ManifestMisspelledKeyTests
{
    [Fact]
    public void A_misspelled_top_level_key_names_its_line_and_the_nearest_key()
    {
        using var temp = new TempFolder();
        var file = temp.Write("dataset.json", """
            {
              "name": "mail",
              "family": "classification",
              "idField": "id",
              "inputFields": ["text"],
              "targetFeild": "label",
              "splits": {"train": "train.jsonl"}
            }
            """);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(6, ex.Line);
        Assert.Equal("targetFeild", ex.Field);
        Assert.Contains("did you mean \"targetField\"?", ex.Message);
        Assert.DoesNotContain(".NET", ex.Message);
        Assert.DoesNotContain("ManifestDocument", ex.Message);
    }

    [Theory]
    [InlineData("lables", "labels")]
    [InlineData("Splits", "splits")]
    [InlineData("choicesFeild", "choicesField")]
    [InlineData("labelDescription", "labelDescriptions")]
    [InlineData("exemplar", "exemplars")]
    [InlineData("descripton", "description")]
    public void The_suggestion_is_the_nearest_key_by_edit_distance(string typed, string suggested)
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", $$"""
            {"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.jsonl"}, "{{typed}}": 1}
            """);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal(typed, ex.Field);
        Assert.Contains($"did you mean \"{suggested}\"?", ex.Message);
    }

    [Fact]
    public void A_key_near_no_valid_one_lists_the_keys_instead()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """{"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.jsonl"}, "zzzzzzzz": 1}""");

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal((1L, "zzzzzzzz"), (ex.Line!.Value, ex.Field!));
        Assert.DoesNotContain("did you mean", ex.Message);
        Assert.Contains("the keys are: name, ", ex.Message);
        Assert.Contains("targetField", ex.Message);
    }

    [Fact]
    public void A_misspelled_completion_key_is_suggested_among_the_completion_keys()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """
            {"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.jsonl"},
             "completion": {"answerMarker": "A:", "cutat": "Q:"}}
            """);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal((2L, "completion.cutat"), (ex.Line!.Value, ex.Field!));
        Assert.Contains("unknown key in \"completion\"; did you mean \"cutAt\"?", ex.Message);
    }
}
