using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>
/// The annotation of the recorded PaLM completions (the annotator's report) must reach the floor of datasets/README.md:
/// teacher accuracy at least the table's figure, rows with no label found at most the table's figure. The floors are
/// read from the README; its accuracies are rounded to four decimals (e-SNLI valid: 7201 / 9842 = 0.73166 is written
/// 0.7317), so the measured accuracy is compared at the table's precision.
/// </summary>
public partial class TeacherFloorTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> FloorSplits => new() { { "cqa", "test" }, { "svamp", "test" }, { "anli1", "test" }, { "esnli", "valid" } };

    [Theory]
    [MemberData(nameof(FloorSplits))]
    public async Task Recorded_teacher_annotation_reaches_the_readme_floor(string name, string split)
    {
        var (floorAccuracy, maxNoLabel) = ReadmeFloor(name, split);
        var dataset = TaskDataset.Open(RepoPaths.Dataset(name));
        var data = dataset.LoadSplit(new MLContext(), split);
        var teacher = RecordedTeacher.Open(dataset.Manifest, split, "palm-540b");

        var report = (await new MLContext().StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(dataset.Manifest)).AnnotateAsync(data)).Report;

        Assert.Equal(dataset.ReadExamples(split).Count, report.Rows);
        Assert.Equal((0, report.GoldRows), (report.CallFailed, report.RowsWithGold));
        Assert.True(AtTablePrecision(report.TeacherAccuracy!.Value) >= floorAccuracy, $"{name}/{split}: accuracy {report.TeacherAccuracy} < floor {floorAccuracy}");
        Assert.True(report.NoLabelFound <= maxNoLabel, $"{name}/{split}: {report.NoLabelFound} rows with no label > floor {maxNoLabel}");
    }

    [Theory]
    [InlineData("test")]
    [InlineData("train")]
    public async Task Cqa_letter_mapping_scores_higher_than_the_papers_text_only_rule(string split)
    {
        var dataset = TaskDataset.Open(RepoPaths.Dataset("cqa"));
        var rows = dataset.ReadExamples(split);
        var teacher = RecordedTeacher.Open(dataset.Manifest, split, "palm-540b");
        var markers = dataset.Manifest.Completion;

        // The parser alone, each recorded completion against its gold choice: the annotator takes no parser option.
        int Correct(bool mapLetters)
        {
            var parser = new MultipleChoiceCompletionParser(markers) { MapLetterToChoice = mapLetters };
            return rows.Count(r => parser.Parse(Recorded(r), r) is { HasLabel: true } parsed && TaskFamily.MultipleChoiceQa.SameAnswer(parsed.Label, r.Target));
        }

        string Recorded(TaskExample row) => teacher.TryGetCompletion(row.Id, out var completion) ? completion : throw new KeyNotFoundException(row.Id);

        var textOnly = Correct(mapLetters: false);
        var mapped = Correct(mapLetters: true);
        output.WriteLine($"cqa {split}: {rows.Count} rows, text only {textOnly} correct; letter mapped {mapped}");

        Assert.True(AtTablePrecision((double)textOnly / rows.Count(r => r.Target is not null)) >= ReadmeFloor("cqa", split).Accuracy);
        Assert.True(mapped > textOnly);
    }

    [Fact]
    public void The_readme_table_is_read_as_written()
    {
        Assert.Equal((0.7723, 0), ReadmeFloor("cqa", "test"));
        Assert.Equal((0.7317, 4), ReadmeFloor("esnli", "valid"));
    }

    /// <summary>An accuracy rounded as the README's table writes them (four decimals).</summary>
    internal static double AtTablePrecision(double accuracy) => Math.Round(accuracy, 4, MidpointRounding.AwayFromZero);

    /// <summary>The floor of one split from the README's table: "| cqa | train / test | 0.7426 / 0.7723 | 3 / 0 |".</summary>
    internal static (double Accuracy, int NoLabel) ReadmeFloor(string name, string split)
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "datasets", "README.md"));
        foreach (Match m in FloorRow().Matches(readme))
        {
            if (m.Groups["name"].Value != name)
            {
                continue;
            }

            var splits = m.Groups["splits"].Value.Split('/', StringSplitOptions.TrimEntries);
            var index = Array.IndexOf(splits, split);
            if (index < 0)
            {
                continue;
            }

            var accuracy = m.Groups["acc"].Value.Split('/', StringSplitOptions.TrimEntries)[index];
            var noLabel = m.Groups["none"].Value.Split('/', StringSplitOptions.TrimEntries)[index];
            return (double.Parse(accuracy, CultureInfo.InvariantCulture), int.Parse(noLabel, CultureInfo.InvariantCulture));
        }

        throw new InvalidOperationException($"datasets/README.md has no floor row for {name} {split}");
    }

    [GeneratedRegex(@"^\|\s*(?<name>[a-z0-9]+)\s*\|\s*(?<splits>[a-z]+\s*/\s*[a-z]+)\s*\|\s*(?<acc>[0-9.]+\s*/\s*[0-9.]+)\s*\|\s*(?<none>\d+\s*/\s*\d+)\s*\|\s*$", RegexOptions.Multiline)]
    private static partial Regex FloorRow();
}
