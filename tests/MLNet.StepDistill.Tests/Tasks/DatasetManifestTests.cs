using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class DatasetManifestTests
{
    [Theory]
    [InlineData("cqa", "multiple-choice-qa", "train", "test")]
    [InlineData("svamp", "math", "train", "test")]
    [InlineData("anli1", "nli", "valid", "test")]
    [InlineData("esnli", "nli", "valid", "test")]
    public void Shipped_manifests_load_with_their_splits_and_recorded_teacher(string name, string family, string split1, string split2)
    {
        var manifest = DatasetManifest.Load(RepoPaths.Dataset(name));

        Assert.Equal(name, manifest.Name);
        Assert.Same(TaskFamily.Parse(family), manifest.Family);
        Assert.Equal(new[] { split1, split2 }.Order(), manifest.Splits.Keys.Order());
        Assert.All(manifest.Splits.Values, p => Assert.True(File.Exists(p), p));
        Assert.True(File.Exists(manifest.TeacherPath("palm-540b", split2)));
    }

    [Fact]
    public void Nli_manifests_carry_the_closed_label_set_and_esnli_its_own_markers()
    {
        var esnli = DatasetManifest.Load(RepoPaths.Dataset("esnli"));
        Assert.Equal(["entailment", "neutral", "contradiction"], esnli.Schema.Labels!);
        Assert.Equal(new CompletionMarkers("Answer:", "Premise"), esnli.Completion);
        Assert.Equal(new CompletionMarkers("So the answer is", "Premise:"), DatasetManifest.Load(RepoPaths.Dataset("anli1")).Completion);
    }

    [Fact]
    public void Invalid_json_names_the_file_and_line()
    {
        using var temp = new TempFolder();
        var file = temp.Write("dataset.json", "{\n  \"name\": \"x\",\n  \"family\": nli\n}");

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(3, ex.Line);
        Assert.Contains("line 3", ex.Message);
        Assert.Contains("byte", ex.Message);
    }

    [Fact]
    public void Unknown_family_lists_the_valid_ones()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """{"name": "x", "family": "regression", "idField": "id", "inputFields": ["t"], "splits": {"train": "t.jsonl"}}""");

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal("family", ex.Field);
        Assert.Contains("multiple-choice-qa, nli, math, classification", ex.Message);
    }

    [Theory]
    [InlineData("""{"name": "x", "family": "nli", "idField": "id", "inputFields": ["p"], "labels": ["a"], "splits": {"t": "t.jsonl"}}""", "inputFields")]
    [InlineData("""{"name": "x", "family": "nli", "idField": "id", "inputFields": ["p", "h"], "splits": {"t": "t.jsonl"}}""", "labels")]
    [InlineData("""{"name": "x", "family": "multiple-choice-qa", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.jsonl"}}""", "choicesField")]
    [InlineData("""{"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.txt"}}""", "splits.t")]
    [InlineData("""{"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {}}""", "splits")]
    [InlineData("""{"name": "x", "family": "math", "idField": "q", "inputFields": ["q"], "splits": {"t": "t.csv"}}""", "idField")]
    [InlineData("""{"name": "x", "family": "math", "idField": "id", "inputFields": ["q"], "splits": {"t": "t.csv"}, "teachers": {"gpt": {"valid": "v.jsonl"}}}""", "teachers.gpt.valid")]
    public void Inconsistent_content_names_the_field(string json, string field)
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", json);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Equal(field, ex.Field);
        Assert.Contains(Path.Combine(temp.Path, "dataset.json"), ex.Message);
    }

    [Fact]
    public void A_misspelt_property_is_an_error_not_ignored()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """{"name": "x", "family": "math", "idField": "id", "inputField": ["q"], "splits": {"t": "t.jsonl"}}""");

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));

        Assert.Contains("inputField", ex.Message);
    }

    [Fact]
    public void A_missing_manifest_names_the_path()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.Path));
        Assert.Contains("dataset.json", ex.Message);
    }

    [Fact]
    public void Unknown_split_and_teacher_list_what_there_is()
    {
        var manifest = DatasetManifest.Load(RepoPaths.Dataset("cqa"));

        Assert.Contains("train, test", Assert.Throws<KeyNotFoundException>(() => manifest.SplitPath("valid")).Message);
        Assert.Contains("palm-540b", Assert.Throws<KeyNotFoundException>(() => manifest.TeacherPath("gpt-4", "test")).Message);
    }
}
