using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class JsonlLoaderTests
{
    private static readonly TaskSchema McSchema = new()
    {
        Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices", TargetField = "answer",
    };

    [Fact]
    public void Reads_rows_with_choices_in_file_order_and_numeric_ids_as_text()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl",
            "{\"id\": \"a\", \"question\": \"Q1?\", \"choices\": [\"x\", \"y\"], \"answer\": \"y\"}\n\n" +
            "{\"id\": 7, \"question\": \"Q2 \\\"quoted\\\"\", \"choices\": [\"z\"], \"answer\": \"z\", \"extra\": 1}\n");

        var rows = TaskDataset.ReadFile(file, McSchema);

        Assert.Equal(2, rows.Count);
        Assert.Equal(new TaskExample("a", ["Q1?"], ["x", "y"], "y"), rows[0], TaskExampleComparer.Instance);
        Assert.Equal("7", rows[1].Id);
        Assert.Equal("Q2 \"quoted\"", rows[1].Text);
    }

    [Fact]
    public void Bad_json_names_file_and_line()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", "{\"id\": \"a\", \"question\": \"q\", \"choices\": [\"x\"], \"answer\": \"x\"}\n{\"id\": \"b\", \"question\": \"q\",\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, McSchema));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(2, ex.Line);
        Assert.StartsWith($"{file} line 2: not valid JSON", ex.Message);
    }

    [Theory]
    [InlineData("{\"id\": \"a\", \"choices\": [\"x\"], \"answer\": \"x\"}", "question", "missing")]
    [InlineData("{\"id\": \"a\", \"question\": null, \"choices\": [\"x\"], \"answer\": \"x\"}", "question", "is null")]
    [InlineData("{\"id\": \"a\", \"question\": 3, \"choices\": [\"x\"], \"answer\": \"x\"}", "question", "expected a string, found a number")]
    [InlineData("{\"id\": \"a\", \"question\": \"q\", \"choices\": \"x\", \"answer\": \"x\"}", "choices", "expected an array of strings, found a string")]
    [InlineData("{\"id\": \"a\", \"question\": \"q\", \"choices\": [\"x\", 2], \"answer\": \"x\"}", "choices", "item 1 is a number")]
    [InlineData("{\"id\": \"a\", \"question\": \"q\", \"choices\": [], \"answer\": \"x\"}", "choices", "empty array")]
    [InlineData("{\"id\": [1], \"question\": \"q\", \"choices\": [\"x\"], \"answer\": \"x\"}", "id", "found an array")]
    public void Missing_fields_and_wrong_types_name_line_and_field(string secondLine, string field, string problem)
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", "{\"id\": \"a\", \"question\": \"q\", \"choices\": [\"x\"], \"answer\": \"x\"}\n" + secondLine + "\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, McSchema));

        Assert.Equal(2, ex.Line);
        Assert.Equal(field, ex.Field);
        Assert.Contains(problem, ex.Message);
        Assert.Contains($"line 2, field \"{field}\"", ex.Message);
    }

    [Fact]
    public void A_line_that_is_not_an_object_is_an_error()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", "[1, 2]\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, McSchema));

        Assert.Equal(1, ex.Line);
        Assert.Contains("expected a JSON object, found an array", ex.Message);
    }

    [Fact]
    public void Reads_every_shipped_split_without_losing_a_row()
    {
        foreach (var (name, split, expected) in new[] { ("cqa", "test", 1221), ("svamp", "train", 800), ("anli1", "valid", 1000) })
        {
            var rows = TaskDataset.Open(RepoPaths.Dataset(name)).ReadExamples(split);
            var lines = File.ReadLines(Path.Combine(RepoPaths.Dataset(name), split + ".jsonl")).Count(l => l.Length > 0);
            Assert.Equal(expected, rows.Count);
            Assert.Equal(lines, rows.Count);
        }
    }
}

/// <summary>Compares task rows by value (records compare list members by reference).</summary>
internal sealed class TaskExampleComparer : IEqualityComparer<TaskExample>
{
    public static readonly TaskExampleComparer Instance = new();

    public bool Equals(TaskExample? x, TaskExample? y) =>
        x is not null && y is not null && x.Id == y.Id && x.Target == y.Target &&
        x.Inputs.SequenceEqual(y.Inputs) && x.Choices.SequenceEqual(y.Choices);

    public int GetHashCode(TaskExample obj) => obj.Id.GetHashCode();
}
