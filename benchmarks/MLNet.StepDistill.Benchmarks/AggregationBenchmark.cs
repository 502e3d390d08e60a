using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// Chooses <see cref="ScoreAggregation"/>'s default by measurement: trains one tiny step-by-step student per dataset
/// (teacher labels, the CPU-sized settings of <c>stepdistill distill</c>), scores the first --test-rows test rows once per
/// aggregation with the same weights, and prints accuracy, log-loss (-ln softmax probability of the gold answer) and
/// how often the shortest candidate was picked, and the scoring rate (rows/s, batches of 32). FirstToken is measured on
/// the label-set datasets only (it refuses multiple-choice rows). Options: --datasets cqa,esnli --steps 300 --test-rows 300 --seed 0 --json.
/// </summary>
internal sealed class AggregationBenchmark : IBenchmark
{
    public string Name => "aggregation";

    public string Description => "Accuracy, log-loss and rows/s of Sum, Mean and FirstToken candidate scores on CQA and e-SNLI (tiny student)";

    public Task<int> RunAsync(string[] args)
    {
        var names = Options.Get(args, "--datasets", "cqa,esnli").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var steps = Options.Int(args, "--steps", 300);
        var testRows = Options.Int(args, "--test-rows", 300);
        var seed = Options.Int(args, "--seed", 0);
        var results = new List<object>();
        foreach (var name in names)
        {
            var dataset = TaskDataset.Open(Path.Combine(Options.RepoRoot(), "datasets", name));
            var trainSplit = dataset.Manifest.Splits.ContainsKey("train") ? "train" : "valid";
            var train = AnnotatedSplit.Read(new MLContext(), dataset, trainSplit);
            var test = AnnotatedSplit.Read(new MLContext(), dataset, "test").Take(testRows).ToArray();
            var ml = new MLContext(seed);
            var options = new MultiTaskSeq2SeqTrainerOptions
            {
                Student = "tiny",
                MaxSteps = steps,
                BatchSize = 16,
                MaxInputLength = 96,
                MaxTargetLength = 32,
                Seed = seed,
            };
            var multipleChoice = dataset.Manifest.Family == TaskFamily.MultipleChoiceQa;
            if (multipleChoice)
            {
                options.ChoicesColumnName = nameof(AnnotatedRow.Choices);
            }
            else
            {
                options.Labels = dataset.Schema.Labels!.ToArray();
            }

            using var model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(AnnotatedSplit.ToDataView(ml, train));
            var student = model.Predictor.Student;
            model.Predictor.Student.Module.eval();
            var candidates = test.Select(r => (IReadOnlyList<string>)(multipleChoice ? r.Choices : options.Labels!)).ToArray();
            var gold = test.Select((r, i) => AnswerComparer.PositionAmong(r.Label, candidates[i])).ToArray();
            var inputs = test.Select(r => TaskPrefixes.Predict + r.Input).ToArray();
            ScoreAggregation[] aggregations = multipleChoice
                ? [ScoreAggregation.Sum, ScoreAggregation.Mean]
                : [ScoreAggregation.Sum, ScoreAggregation.Mean, ScoreAggregation.FirstToken];
            foreach (var aggregation in aggregations)
            {
                var scores = new List<float[]>();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var start = 0; start < inputs.Length; start += 32)
                {
                    scores.AddRange(student.ScoreTargets(inputs[start..Math.Min(inputs.Length, start + 32)], candidates[start..Math.Min(inputs.Length, start + 32)], aggregation));
                }

                var rowsPerSecond = inputs.Length / clock.Elapsed.TotalSeconds;
                int correct = 0, shortest = 0, counted = 0;
                double logLoss = 0;
                for (var i = 0; i < test.Length; i++)
                {
                    if (gold[i] < 0)
                    {
                        continue;
                    }

                    var row = scores[i];
                    var max = row.Max();
                    var logSum = Math.Log(row.Sum(s => Math.Exp(s - max))) + max;
                    var best = Array.IndexOf(row, max);
                    counted++;
                    correct += best == gold[i] ? 1 : 0;
                    logLoss += -(row[gold[i]] - logSum);
                    var lengths = candidates[i].Select(c => student is T5Student t ? t.CandidateTokens.Get(c).Length : c.Length).ToArray();
                    shortest += lengths[best] == lengths.Min() ? 1 : 0;
                }

                var result = new
                {
                    dataset = name,
                    aggregation = aggregation.ToString(),
                    steps,
                    test_rows = counted,
                    accuracy = Math.Round((double)correct / counted, 4),
                    log_loss = Math.Round(logLoss / counted, 4),
                    uniform_log_loss = Math.Round(candidates.Where((_, i) => gold[i] >= 0).Average(c => Math.Log(c.Count)), 4),
                    shortest_picked = shortest,
                    rows_per_second = Math.Round(rowsPerSecond, 1),
                    load_average = MachineDescription.LoadAverage(),
                };
                results.Add(result);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name} {aggregation}: accuracy {result.accuracy:F4}, log-loss {result.log_loss:F4} (uniform {result.uniform_log_loss:F4}), shortest candidate picked {shortest}/{counted}, {rowsPerSecond:F0} rows/s; tiny, {steps} steps"));
            }
        }

        if (args.Contains("--json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(results));
        }

        return Task.FromResult(0);
    }
}
