using System.Text;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>
/// Mutated dataset files (JSONL, CSV, dataset.json): each read either gives well-formed rows (clean text, unique
/// non-empty ids, at least one row) or a <see cref="DatasetFormatException"/> naming the file. Text files carry no
/// checksum, so a mutation inside a value that keeps the file well-formed is a legitimate success.
/// </summary>
public sealed class DatasetFuzzTests(ITestOutputHelper output)
{
    private const long AllocationBound = 16L << 20;

    [Fact]
    public void Jsonl_200_mutations_give_well_formed_rows_or_fail_naming_the_file() =>
        RunRows("dataset JSONL", "train.jsonl", FuzzFixtures.CqaJsonl(20), seed: 1207);

    [Fact]
    public void Csv_200_mutations_give_well_formed_rows_or_fail_naming_the_file() =>
        RunRows("dataset CSV", "train.csv", FuzzFixtures.CqaCsv(20), seed: 1208);

    [Fact]
    public void Dataset_json_200_mutations_give_a_consistent_manifest_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var original = File.ReadAllBytes(Path.Combine(RepoPaths.Dataset("cqa"), DatasetManifest.FileName));
        var path = folder.File(DatasetManifest.FileName);

        FuzzHarness.Run(output, "dataset.json", 200, seed: 1209, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateText(original, rng));
            return new FuzzCase(path, () =>
            {
                var manifest = DatasetManifest.Load(folder.Path);
                var texts = new[] { manifest.Name, manifest.Schema.IdField, manifest.Completion.AnswerMarker, manifest.Completion.CutAt }
                    .Concat(manifest.Schema.InputFields).Concat(manifest.Splits.Keys).Concat(manifest.Splits.Values)
                    .Concat(manifest.Teachers.SelectMany(t => t.Value.Values.Append(t.Key)));
                return manifest.Splits.Count > 0 && texts.All(FuzzFixtures.IsCleanText)
                    && manifest.Splits.Values.All(p => p.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".csv", StringComparison.OrdinalIgnoreCase));
            });
        });
    }

    private void RunRows(string reader, string fileName, string content, int seed)
    {
        using var folder = new TempFolder();
        var original = Encoding.UTF8.GetBytes(content);
        var path = folder.File(fileName);
        var schema = FuzzFixtures.CqaSchema;

        bool WellFormed()
        {
            var rows = TaskDataset.ReadFile(path, schema);
            var ids = rows.Select(r => r.Id).ToList();
            return rows.Count > 0 && ids.All(id => id.Length > 0) && ids.Distinct(StringComparer.Ordinal).Count() == ids.Count
                && rows.All(r => FuzzFixtures.IsCleanText(r.Id) && r.Inputs.All(FuzzFixtures.IsCleanText) && r.Choices.All(FuzzFixtures.IsCleanText)
                    && FuzzFixtures.IsCleanText(r.Target));
        }

        File.WriteAllBytes(path, original);
        Assert.Equal(20, TaskDataset.ReadFile(path, schema).Count);
        Assert.True(WellFormed());
        FuzzHarness.Run(output, reader, 200, seed, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateText(original, rng));
            return new FuzzCase(path, WellFormed);
        });
    }
}
