using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Diagnostics;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// The paper's experiment (Hsieh et al. 2023, figures 2-5): standard fine-tuning, task distillation and distilling
/// step-by-step (with gold or teacher labels) trained on growing shares of the data, several seeds each, one student and
/// one step budget for all, scored on one held-out test set next to the majority-class baseline and the teacher's own
/// accuracy. With an <see cref="StepByStepExperimentOptions.OutputFolder"/> every finished run is saved at once to <c>results.json</c>, and a
/// re-run with the same folder and settings trains only the runs that are missing.
/// </summary>
public sealed class StepByStepExperiment
{
    private readonly MLContext mlContext;
    private readonly StepByStepExperimentOptions options;

    /// <summary>An experiment with <paramref name="options"/>; the options are checked now.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public StepByStepExperiment(MLContext mlContext, StepByStepExperimentOptions options)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>
    /// Runs every method x fraction x seed that <c>results.json</c> does not hold yet (seed by seed, the largest fraction
    /// first, methods in the given order) and returns all results with their summary.
    /// </summary>
    /// <exception cref="DatasetFormatException">The dataset folder, a split file or the annotated-rows file is malformed (the message names it).</exception>
    /// <exception cref="InvalidDataException">results.json in the output folder was written with other settings, or is malformed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the runs finished before stay in results.json.</exception>
    public ExperimentOutcome Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var dataset = TaskDataset.Open(options.DatasetFolder, new TaskReadOptions { DropUnknownLabels = options.DropUnknownLabels });
        var annotated = options.AnnotatedRowsPath is { } path ? AnnotatedRowsFile.Read(path, dataset.Schema) : null;
        var trainSplit = annotated is not null ? null : options.TrainSplit ?? dataset.Manifest.DefaultTrainSplit;
        var family = dataset.Manifest.Family;
        var labels = family.ClosedLabels(dataset.Schema)?.ToArray();

        var (pool, validation) = CarveValidation(annotated?.ToAnnotatedRows() ?? AnnotatedSplit.Read(mlContext, dataset, trainSplit!));
        var wholeTest = AnnotatedSplit.Read(mlContext, dataset, options.TestSplit);
        var test = options.TestRows > 0 ? wholeTest.Take(options.TestRows).ToArray() : wholeTest.ToArray();

        var explained = Explained(dataset.Schema);
        var settings = ExperimentSettings.From(options, dataset.Manifest.Name, trainSplit, annotated, explained?.File, pool.Count, test.Length);
        var file = options.OutputFolder is null ? null : ExperimentResultsFile.Open(options.OutputFolder, settings);
        var results = new List<ExperimentRunResult>(file?.Runs ?? []);

        var baseline = MajorityClassBaseline.Evaluate(mlContext, family, labels, pool, test, goldLabels: true);
        var teacher = TeacherScore.OnTest(mlContext, dataset, options.TestSplit, test);
        var cost = trainSplit is null
            ? TeacherCost.None(options.TeacherPricePerMillionInputTokens, options.TeacherPricePerMillionOutputTokens)   // the file's own tokens and cost are in its rows
            : TeacherCost.Measure(dataset, trainSplit, pool, options.TeacherPricePerMillionInputTokens, options.TeacherPricePerMillionOutputTokens);
        var validationData = validation.Count > 0 ? AnnotatedSplit.ToDataView(mlContext, validation) : null;

        // The plan: seed by seed, the largest fraction first (the full-data comparison: the most telling if interrupted),
        // methods in the given order. Runs start in this order and results.json lists them in it, however many run at once.
        var plan = new List<PlannedRun>();
        foreach (var seed in options.Seeds)
        {
            var shuffled = pool.ToArray();
            new Random(seed).Shuffle(shuffled);
            foreach (var fraction in options.Fractions.OrderByDescending(f => f))
            {
                var rows = shuffled.Take(Math.Max(1, (int)Math.Round(fraction * shuffled.Length))).ToArray();
                foreach (var method in options.Methods)
                {
                    plan.Add(new PlannedRun(plan.Count + 1, method, fraction, seed, rows));
                }
            }
        }

        var pending = new List<PlannedRun>();
        foreach (var planned in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (results.FirstOrDefault(r => r.IsRun(planned.Method, planned.Fraction, planned.Seed)) is { } done)
            {
                options.Progress?.Report(new ExperimentRunProgress(planned.Number, plan.Count, planned.Method, planned.Fraction, planned.Seed, null, done, Skipped: true));
            }
            else if (!options.ReportOnly)
            {
                pending.Add(planned);
            }
        }

        var parallel = options.Parallel ?? SideBySideRuns.DefaultParallel();
        SideBySideRuns.Run(pending, parallel, (planned, token) =>
        {
            var methodData = planned.Method == TrainingMethod.StepByStepExplained && explained is { } explanations
                ? AnnotatedSplit.ToDataView(mlContext, WithExplanations(planned.Rows, explanations.ById))
                : AnnotatedSplit.ToDataView(mlContext, planned.Rows);
            return TrainAndScore(planned.Number, plan.Count, planned.Method, planned.Fraction, planned.Seed, dataset, planned.Rows.Length, methodData, validationData, test, token);
        }, (i, result) =>
        {
            results.Add(result);
            results = InPlanOrder(results, plan);
            file?.Save(results);
            options.Progress?.Report(new ExperimentRunProgress(pending[i].Number, plan.Count, pending[i].Method, pending[i].Fraction, pending[i].Seed, null, result, Skipped: false));
        }, cancellationToken);

        var ordered = results.Where(r => IsPlanned(r)).ToArray();
        var outcome = new ExperimentOutcome(settings, ordered, baseline, teacher, cost, clock.Elapsed.TotalSeconds, parallel, ProcessMemory.PeakResident);
        file?.Save(results, outcome);   // every run the file held stays in it, planned this time or not
        return outcome;
    }

    /// <summary>One run of the plan: its 1-based position, method, fraction, seed and training rows.</summary>
    private sealed record PlannedRun(int Number, TrainingMethod Method, double Fraction, int Seed, AnnotatedRow[] Rows);

    /// <summary>
    /// The runs in the plan's order (runs the file holds from other plans after them, in the file's order), so results.json
    /// is the same whether runs finished one after another or side by side.
    /// </summary>
    private static List<ExperimentRunResult> InPlanOrder(List<ExperimentRunResult> results, IReadOnlyList<PlannedRun> plan) =>
        results.OrderBy(r => plan.FirstOrDefault(p => r.IsRun(p.Method, p.Fraction, p.Seed))?.Number ?? int.MaxValue).ToList();

    /// <summary>The explain-gold file of <see cref="StepByStepExperimentOptions.ExplainedRowsPath"/> by row id; null when no method needs it.</summary>
    /// <exception cref="ArgumentException">The method is asked for without a file, a file is given without the method, or the file's rationales were not asked as explain-gold.</exception>
    private (AnnotatedRowsFile File, IReadOnlyDictionary<string, AnnotatedRow> ById)? Explained(TaskSchema schema)
    {
        var wanted = options.Methods.Contains(TrainingMethod.StepByStepExplained);
        if (wanted != options.ExplainedRowsPath is not null)
        {
            throw new ArgumentException(wanted
                ? "StepByStepExperimentOptions.ExplainedRowsPath is required by the step-by-step-explained method: an annotated-rows file written with --rationales explain-gold (annotate --rationales explain-gold --out FILE)."
                : "StepByStepExperimentOptions.ExplainedRowsPath is only read by the step-by-step-explained method; add it to Methods or leave the file out.", nameof(StepByStepExperimentOptions.ExplainedRowsPath));
        }

        if (!wanted)
        {
            return null;
        }

        var file = AnnotatedRowsFile.Read(options.ExplainedRowsPath!, schema);
        if (file.Rows.FirstOrDefault(r => r.Rationales != RationaleMode.ExplainGold) is { } other)
        {
            throw new ArgumentException($"StepByStepExperimentOptions.ExplainedRowsPath {file.Path}: row {other.Id} was annotated with --rationales {other.Rationales.ToName()}; the step-by-step-explained method needs a file written with --rationales explain-gold.", nameof(StepByStepExperimentOptions.ExplainedRowsPath));
        }

        return (file, file.ToAnnotatedRows().ToDictionary(r => r.Id, StringComparer.Ordinal));
    }

    /// <summary>The rows with the rationales and statuses of their explain-gold annotations (gold labels kept); a row without one trains its label alone.</summary>
    private static AnnotatedRow[] WithExplanations(IReadOnlyList<AnnotatedRow> rows, IReadOnlyDictionary<string, AnnotatedRow> explained) =>
        rows.Select(r => new AnnotatedRow
        {
            Id = r.Id, Input = r.Input, Label = r.Label, Choices = r.Choices, TeacherLabel = r.TeacherLabel,
            Rationale = explained.TryGetValue(r.Id, out var e) ? e.Rationale : "",
            AnnotationStatus = e?.AnnotationStatus ?? "not-annotated",
        }).ToArray();

    private bool IsPlanned(ExperimentRunResult r) =>
        options.Seeds.Contains(r.Seed) && options.Fractions.Any(f => Math.Abs(f - r.Fraction) < 1e-9) && options.Methods.Any(m => TrainingMethods.Name(m) == r.Method);

    private ExperimentRunResult TrainAndScore(int run, int runCount, TrainingMethod method, double fraction, int seed, TaskDataset dataset,
        int trainRows, IDataView trainData, IDataView? validationData, IReadOnlyList<AnnotatedRow> test, CancellationToken cancellationToken)
    {
        var losses = new List<double>();
        var progress = new SynchronousProgress<TrainingProgress>(step =>
        {
            losses.Add(step.Loss);
            options.Progress?.Report(new ExperimentRunProgress(run, runCount, method, fraction, seed, step, null, Skipped: false));
        });
        var clock = Stopwatch.StartNew();
        using var student = mlContext.StepDistill().Trainers.MultiTaskSeq2Seq(TrainerOptions(dataset, method, fraction, seed, progress))
            .Fit(trainData, validationData, cancellationToken);
        var trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var scores = StudentScores.Evaluate(mlContext, student, dataset.Manifest.Family, test);
        var evaluationSeconds = clock.Elapsed.TotalSeconds;
        var correct = (int)Math.Round(scores.Accuracy * test.Count);
        var interval = ConfidenceInterval.Wilson(correct, test.Count);
        var final = losses.Count > 0 && double.IsFinite(losses[^1]) ? losses[^1] : (double?)null;
        return new ExperimentRunResult(TrainingMethods.Name(method), TrainingMethods.LabelSourceName(method),
            fraction, seed, trainRows, losses.Count, test.Count, correct, scores.Accuracy, interval.Low, interval.High,
            scores.MacroAccuracy, scores.LogLoss, losses.Count > 0 ? losses[0] : null, final, trainSeconds, evaluationSeconds);
    }

    private (IReadOnlyList<AnnotatedRow> Pool, IReadOnlyList<AnnotatedRow> Validation) CarveValidation(IReadOnlyList<AnnotatedRow> rows)
    {
        if (options.ValidationRows == 0)
        {
            return (rows, []);
        }

        if (options.ValidationRows >= rows.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(StepByStepExperimentOptions.ValidationRows), string.Create(CultureInfo.InvariantCulture,
                $"StepByStepExperimentOptions.ValidationRows ({options.ValidationRows}) must leave training rows: the pool has {rows.Count}."));
        }

        var order = rows.ToArray();
        new Random(ValidationSeed).Shuffle(order);
        return (order.Skip(options.ValidationRows).ToArray(), order.Take(options.ValidationRows).ToArray());
    }

    /// <summary>The seed of the validation carve: fixed, so every seed's runs validate on the same rows.</summary>
    private const int ValidationSeed = 20230502;

    private MultiTaskSeq2SeqTrainerOptions TrainerOptions(TaskDataset dataset, TrainingMethod method, double fraction, int seed, IProgress<TrainingProgress> progress) =>
        RunTrainerOptions.For(options.Trainer, method, options.StepsFor(fraction), options.WarmupSteps ?? options.StepsFor(fraction) / 10, seed, progress, dataset);
}
