using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Padding waste of the training batches on the shipped datasets, without and with length-bucketed batches
/// (<see cref="MultiTaskSeq2SeqTrainerOptions.LengthBucketWindow"/>): one epoch of the batch plan, each step-by-step
/// batch tokenised as the trainer does (input with its prefix, teacher label, rationale; max 128 input and 64 target
/// tokens, as <c>stepdistill train</c>), waste = padded positions / all positions of the padded batches.
/// Options: --datasets cqa,esnli,anli1,svamp --batch 16 --windows 256,1024 --json.
/// </summary>
internal sealed class PaddingBenchmark : IBenchmark
{
    public string Name => "padding";

    public string Description => "Padding waste per dataset, shuffled batches vs length-bucketed batches";

    public Task<int> RunAsync(string[] args)
    {
        var names = Options.Get(args, "--datasets", "cqa,esnli,anli1,svamp").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var batch = Options.Int(args, "--batch", 16);
        var windows = Options.Get(args, "--windows", "256,1024").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var tokenizer = T5Tokenizer.FromFile(ShippedTokenizer.Find());
        var results = new List<object>();
        foreach (var name in names)
        {
            var dataset = TaskDataset.Open(Path.Combine(Options.RepoRoot(), "datasets", name));
            var split = dataset.Manifest.Splits.ContainsKey("train") ? "train" : "valid";
            var rows = AnnotatedSplit.Read(new MLContext(), dataset, split)
                .Where(r => r.AnnotationStatus == "ok" && r.Rationale.Length > 0 && r.TeacherLabel.Length > 0)
                .Select(r => new TrainingRow(r.Input, r.TeacherLabel, r.Rationale, r.Choices))
                .ToArray();
            var source = rows.Select(r => tokenizer.Encode(TaskPrefixes.Predict + r.Input, maxLength: 128).Length).ToArray();
            var label = rows.Select(r => tokenizer.Encode(r.Label!, maxLength: 64).Length).ToArray();
            var rationale = rows.Select(r => tokenizer.Encode(r.Rationale!, maxLength: 64).Length).ToArray();
            double Waste(BatchPlan plan)
            {
                long real = 0, padded = 0;
                for (var step = 0; step < plan.StepsPerEpoch; step++)
                {
                    var b = plan.RowsOf(step);
                    foreach (var lengths in new[] { source, source, label, rationale }) // the label and rationale batches each pad the input
                    {
                        real += b.Sum(i => (long)lengths[i]);
                        padded += (long)b.Length * b.Max(i => lengths[i]);
                    }
                }

                return 1 - (double)real / padded;
            }

            var lengthsForBuckets = rows.Select(TrainingLoop.BucketLength).ToArray();
            var plain = Waste(new BatchPlan(rows.Length, batch, seed: 0));
            var bucketed = windows.ToDictionary(w => w.ToString(CultureInfo.InvariantCulture), w => Math.Round(Waste(new BatchPlan(rows.Length, batch, 0, lengthsForBuckets, w)), 4));
            results.Add(new { dataset = name, split, rows = rows.Length, batch, waste_shuffled = Math.Round(plain, 4), waste_bucketed_by_window = bucketed });
            Console.Error.WriteLine($"{name}/{split} ({rows.Length} rows, batch {batch}): padding waste {plain:P1} shuffled; " +
                string.Join(", ", bucketed.Select(kv => $"{kv.Value:P1} with LengthBucketWindow={kv.Key}")));
        }

        if (args.Contains("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(results));
        }

        return Task.FromResult(0);
    }
}
