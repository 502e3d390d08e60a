using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

public class RecordedTeacherTests
{
    [Fact]
    public async Task Answers_a_row_with_its_recorded_completion()
    {
        var manifest = DatasetManifest.Load(RepoPaths.Dataset("svamp"));
        var teacher = RecordedTeacher.Open(manifest, "test", "palm-540b");

        var completions = await teacher.CompleteAsync(new TeacherPrompt("svamp-test-0000", null, "ignored"), new TeacherSampling(), CancellationToken.None);

        Assert.Equal("recorded:palm-540b", teacher.CacheIdentity);
        Assert.Equal(200, teacher.Count);
        Assert.StartsWith("They put 10 seeds in each flower bed. There are 45 flower beds.", Assert.Single(completions).Text);
    }

    [Fact]
    public async Task A_missing_id_names_the_file_and_the_id()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", "{\"id\": \"a\", \"completion\": \"x\"}\n");
        var teacher = new RecordedTeacher("mine", file);

        var ex = await Assert.ThrowsAsync<KeyNotFoundException>(() => teacher.CompleteAsync(new TeacherPrompt("zzz", null, ""), new TeacherSampling(), CancellationToken.None));

        Assert.Contains(file, ex.Message);
        Assert.Contains("\"zzz\"", ex.Message);
    }

    [Theory]
    [InlineData("{\"id\": \"a\", \"completion\": \"x\"}\n{\"id\": \"a\", \"completion\": \"y\"}\n", 2, "already recorded on line 1")]
    [InlineData("{\"id\": \"a\"}\n", 1, "\"completion\": missing")]
    [InlineData("{\"id\": \"a\", \"completion\": 5}\n", 1, "expected a string")]
    [InlineData("\n{\"id\": \"a\", \"completion\": \"x\"\n", 2, "not valid JSON")]
    public void Malformed_files_name_the_line(string content, int line, string problem)
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", content);

        var ex = Assert.Throws<DatasetFormatException>(() => new RecordedTeacher("mine", file));

        Assert.Equal(line, ex.Line);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void Every_shipped_row_has_a_recorded_completion()
    {
        foreach (var (name, split) in new[] { ("cqa", "test"), ("svamp", "train"), ("anli1", "test"), ("esnli", "valid") })
        {
            var dataset = TaskDataset.Open(RepoPaths.Dataset(name));
            var teacher = RecordedTeacher.Open(dataset.Manifest, split, "palm-540b");
            Assert.All(dataset.ReadExamples(split), row => Assert.True(teacher.TryGetCompletion(row.Id, out _), $"{name}/{split}: {row.Id}"));
        }
    }
}
