using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// The Distilling Step-by-Step experiment on a dataset with recorded teacher annotations: sample the training pool, train
/// one student per mode with the same budget (steps, batch, lengths, seed), evaluate each on the test rows next to the
/// majority-class baseline, and keep the best student.
/// </summary>
public sealed partial class DistillationExperiment
{
    private readonly MLContext mlContext;
    private readonly Options options;

    /// <summary>An experiment with <paramref name="options"/>; the options are checked now.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public DistillationExperiment(MLContext mlContext, Options options)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        Validate(options);
    }

    /// <summary>Runs the baseline and every mode; the report owns the best student (dispose it).</summary>
    /// <exception cref="DatasetFormatException">The dataset folder or a split file is malformed (the message names it).</exception>
    public ExperimentReport Run(CancellationToken cancellationToken = default)
    {
        var dataset = TaskDataset.Open(options.DatasetFolder);
        var trainSplit = options.TrainSplit ?? dataset.Manifest.DefaultTrainSplit;
        var pool = AnnotatedSplit.Read(mlContext, dataset, trainSplit);
        var train = Sample(pool);
        var wholeTest = AnnotatedSplit.Read(mlContext, dataset, options.TestSplit);
        var test = options.TestRows > 0 ? wholeTest.Take(options.TestRows).ToArray() : wholeTest;
        var family = dataset.Manifest.Family;
        var labels = family.ClosedLabels(dataset.Schema)?.ToArray();

        var results = new List<ExperimentResult> { MajorityClassBaseline.Evaluate(mlContext, family, labels, train, test, options.LabelSource) };
        var trainData = AnnotatedSplit.ToDataView(mlContext, train);
        Seq2SeqStudentTransformer? best = null;
        Seq2SeqStudentTransformer? student = null;
        var bestAccuracy = double.NegativeInfinity;
        try
        {
            for (var run = 0; run < options.Modes.Length; run++)
            {
                var mode = options.Modes[run];
                var clock = Stopwatch.StartNew();
                var losses = new List<double>();
                var trainerOptions = TrainerOptions(family, labels, mode, new StepReporter(run + 1, options.Modes.Length, mode, losses, options.Progress));
                student = mlContext.StepDistill().Trainers.MultiTaskSeq2Seq(trainerOptions).Fit(trainData, null, cancellationToken);
                var scores = StudentScores.Evaluate(mlContext, student, family, test);
                results.Add(new ExperimentResult(ModeName(mode), LabelSourceName(options.LabelSource), losses.Count, train.Count, test.Count,
                    scores.Accuracy, scores.MacroAccuracy, scores.LogLoss, losses.FirstOrDefault(), losses.LastOrDefault(), clock.Elapsed.TotalSeconds));
                if (scores.Accuracy > bestAccuracy)
                {
                    best?.Dispose();
                    best = student;
                    bestAccuracy = scores.Accuracy;
                }
                else
                {
                    student.Dispose();
                }

                student = null;
            }
        }
        catch
        {
            // A later mode failed or was cancelled: nobody will own the students trained so far, so free their weights.
            student?.Dispose();
            best?.Dispose();
            throw;
        }

        return new ExperimentReport(dataset.Manifest.Name, trainSplit, pool.Count, options.TestSplit, wholeTest.Count, results, best, trainData.Schema);
    }

    /// <summary>The CLI's and the table's name of a mode: standard, step-by-step, single-task.</summary>
    public static string ModeName(TrainingMode mode) => mode switch
    {
        TrainingMode.StepByStep => "step-by-step",
        TrainingMode.SingleTask => "single-task",
        _ => "standard",
    };

    private static string LabelSourceName(LabelSource source) => source == LabelSource.Teacher ? "teacher" : "gold";

    private IReadOnlyList<AnnotatedRow> Sample(IReadOnlyList<AnnotatedRow> pool)
    {
        var count = options.TrainRows > 0 ? Math.Min(options.TrainRows, pool.Count) : Math.Max(1, (int)Math.Round(options.TrainFraction * pool.Count));
        var order = pool.ToArray();
        new Random(options.Seed).Shuffle(order);
        return order.Take(count).ToArray();
    }

    private MultiTaskSeq2SeqTrainer.Options TrainerOptions(TaskFamily family, string[]? labels, TrainingMode mode, IProgress<TrainingProgress> progress) => new()
    {
        Mode = mode,
        LabelSource = options.LabelSource,
        Labels = labels,
        ChoicesColumnName = family.HasChoices ? nameof(AnnotatedRow.Choices) : null,
        Student = options.Student,
        TokenizerPath = options.TokenizerPath,
        MaxSteps = options.Steps,
        BatchSize = options.BatchSize,
        LearningRate = options.LearningRate,
        WarmupSteps = options.WarmupSteps ?? options.Steps / 10,
        Alpha = options.Alpha,
        MaxInputLength = options.MaxInputLength,
        MaxTargetLength = options.MaxTargetLength,
        Seed = options.Seed,
        Device = options.Device,
        Progress = progress,
    };

    private static void Validate(Options o)
    {
        void Require(bool ok, string option, string problem)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(option, $"Options.{option} {problem}");
            }
        }

        Require(!string.IsNullOrWhiteSpace(o.DatasetFolder), nameof(o.DatasetFolder), "must name a dataset folder (holding dataset.json).");
        Require(o.TrainRows >= 0, nameof(o.TrainRows), $"must be 0 (use TrainFraction) or positive, got {o.TrainRows}.");
        Require(o.TrainFraction is > 0 and <= 1, nameof(o.TrainFraction), string.Create(CultureInfo.InvariantCulture, $"must be in (0, 1], got {o.TrainFraction}."));
        Require(o.TestRows >= 0, nameof(o.TestRows), $"must be 0 (all) or positive, got {o.TestRows}.");
        Require(o.Modes is { Length: > 0 }, nameof(o.Modes), "must name at least one training mode.");
        Require(o.Steps > 0, nameof(o.Steps), $"must be positive, got {o.Steps}.");
        Require(o.WarmupSteps is null or >= 0, nameof(o.WarmupSteps), $"must not be negative, got {o.WarmupSteps}.");
    }

    /// <summary>Forwards the trainer's steps to the experiment's progress and records the losses.</summary>
    private sealed class StepReporter(int run, int runCount, TrainingMode mode, List<double> losses, IProgress<ExperimentProgress>? progress)
        : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            losses.Add(value.Loss);
            progress?.Report(new ExperimentProgress(run, runCount, mode, value));
        }
    }
}
