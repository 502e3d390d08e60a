using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// A Model Builder-style search for the best student in a time budget, shaped like ML.NET AutoML's experiment:
/// <c>ml.StepDistill().CreateSweep(dataset, train).SetTrainingTime(600).SetMaxTrials(20).Run()</c>. Trials run one after
/// another, each with settings from the <see cref="SweepTuner"/> (drawn at random, seeded, from the
/// <see cref="SweepSearchSpace"/>, or by successive halving over the steps); each is scored on the validation rows by the
/// <see cref="SweepMetric"/>. A trial still training when the budget ends is stopped there (and
/// listed as stopped); the best trial's fitted student is returned with the leaderboard.
/// </summary>
public sealed class DistillationSweep
{
    private readonly MLContext mlContext;
    private readonly TaskDataset dataset;
    private readonly IReadOnlyList<AnnotatedRow> train;
    private double trainingSeconds = 600;
    private int maxTrials = int.MaxValue;
    private SweepSearchSpace searchSpace = new();
    private IReadOnlyList<AnnotatedRow>? validation;
    private (double Fraction, int MaxRows) carve = (0.2, 300);
    private IReadOnlyList<AnnotatedRow>? test;
    private SweepMetric metric = SweepMetric.Accuracy;
    private int seed;
    private string device = "cpu";
    private string? tokenizerPath;
    private IProgress<SweepProgress>? progress;
    private SweepTuner tuner = SweepTuner.Random;
    private int reductionFactor = 3;

    internal DistillationSweep(MLContext mlContext, TaskDataset dataset, IReadOnlyList<AnnotatedRow> train)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        this.train = train ?? throw new ArgumentNullException(nameof(train));
        if (train.Count < 2)
        {
            throw new ArgumentException($"A sweep needs at least two training rows, got {train.Count}.", nameof(train));
        }
    }

    /// <summary>The time budget in seconds for all trials together. Default 600.</summary>
    public DistillationSweep SetTrainingTime(double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        trainingSeconds = seconds;
        return this;
    }

    /// <summary>The most trials to run. Default: as many as the time allows.</summary>
    public DistillationSweep SetMaxTrials(int trials)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        maxTrials = trials;
        return this;
    }

    /// <summary>Where to look (see <see cref="SweepSearchSpace"/> for the default ranges).</summary>
    public DistillationSweep SetSearchSpace(SweepSearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        searchSpace = space;
        return this;
    }

    /// <summary>Validate on these rows (the training rows are then all trained on).</summary>
    public DistillationSweep SetValidationData(IReadOnlyList<AnnotatedRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("The validation rows are empty.", nameof(rows));
        }

        validation = rows;
        return this;
    }

    /// <summary>
    /// Without <see cref="SetValidationData"/>: carve <paramref name="fraction"/> of the training rows (at most
    /// <paramref name="maxRows"/>) for validation, chosen with the sweep's seed. Default 0.2, at most 300 rows.
    /// </summary>
    public DistillationSweep SetValidationFraction(double fraction, int maxRows = 300)
    {
        if (fraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);
        carve = (fraction, maxRows);
        return this;
    }

    /// <summary>Also score every finished trial on these rows (reported, never used to choose).</summary>
    public DistillationSweep SetTestData(IReadOnlyList<AnnotatedRow> rows)
    {
        test = rows ?? throw new ArgumentNullException(nameof(rows));
        return this;
    }

    /// <summary>The metric to maximise. Default <see cref="SweepMetric.Accuracy"/>.</summary>
    public DistillationSweep SetMetric(SweepMetric value)
    {
        metric = value ?? throw new ArgumentNullException(nameof(value));
        return this;
    }

    /// <summary>The seed of the settings drawn, the validation carve and every trial's training. Default 0.</summary>
    public DistillationSweep SetSeed(int value)
    {
        seed = value;
        return this;
    }

    /// <summary>The torch device of every trial. Default <c>"cpu"</c>.</summary>
    public DistillationSweep SetDevice(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        device = value;
        return this;
    }

    /// <summary>The SentencePiece model for presets; default the shipped one.</summary>
    public DistillationSweep SetTokenizer(string? path)
    {
        tokenizerPath = path;
        return this;
    }

    /// <summary>
    /// How the next trial's settings are chosen: <see cref="SweepTuner.Random"/> (default) or
    /// <see cref="SweepTuner.SuccessiveHalving"/> with <paramref name="reductionFactor"/> η (default 3: a third of each
    /// rung goes on, with three times the steps).
    /// </summary>
    public DistillationSweep SetTuner(SweepTuner value, int reductionFactor = 3)
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Not a sweep tuner.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(reductionFactor, 2);
        tuner = value;
        this.reductionFactor = reductionFactor;
        return this;
    }

    /// <summary>Receives trial started, every step, and trial finished (with its metric).</summary>
    public DistillationSweep SetProgress(IProgress<SweepProgress>? value)
    {
        progress = value;
        return this;
    }

    /// <summary>
    /// Runs trials until the time budget or <see cref="SetMaxTrials"/> is reached. Cancelling stops the running trial and
    /// returns the trials finished so far (<see cref="SweepResult.Cancelled"/>); with none finished it throws.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before any trial finished.</exception>
    /// <exception cref="InvalidOperationException">The budget ended before any trial finished (the message says how long one took).</exception>
    public SweepResult Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(seed);
        var (trainRows, validationRows) = Split();
        var family = dataset.Manifest.Family;
        var labels = family.ClosedLabels(dataset.Schema)?.ToArray();
        var trainData = AnnotatedSplit.ToDataView(mlContext, trainRows);
        var trials = new List<SweepTrial>();
        Seq2SeqStudentTransformer? best = null;
        SweepTrial? bestTrial = null;
        var cancelled = false;
        var halving = tuner == SweepTuner.SuccessiveHalving ? new SuccessiveHalvingTuner(searchSpace, random, reductionFactor) : null;
        try
        {
            for (var number = 1; number <= maxTrials; number++)
            {
                var remaining = trainingSeconds - clock.Elapsed.TotalSeconds;
                if (remaining <= 0)
                {
                    break;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }

                var settings = halving?.Next() ?? searchSpace.Sample(random);
                progress?.Report(new SweepProgress(number, settings, null, null));
                using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                budget.CancelAfter(TimeSpan.FromSeconds(remaining));
                var trialClock = Stopwatch.StartNew();
                var losses = new List<double>();
                Seq2SeqStudentTransformer student;
                try
                {
                    var reporter = new SynchronousProgress<TrainingProgress>(step =>
                    {
                        losses.Add(step.Loss);
                        progress?.Report(new SweepProgress(number, settings, step, null));
                    });
                    student = mlContext.StepDistill().Trainers.MultiTaskSeq2Seq(TrainerOptions(settings, number, reporter))
                        .Fit(trainData, null, budget.Token);
                }
                catch (OperationCanceledException) when (budget.IsCancellationRequested)
                {
                    var stopped = new SweepTrial(number, settings, SweepTrial.StoppedAtBudget, null, null, losses.Count > 0 ? losses[^1] : null, trialClock.Elapsed.TotalSeconds);
                    trials.Add(stopped);
                    progress?.Report(new SweepProgress(number, settings, null, stopped));
                    cancelled = cancellationToken.IsCancellationRequested;
                    break;
                }

                var value = metric.Compute(mlContext, student, family, validationRows);
                double? testAccuracy = test is { Count: > 0 } ? StudentScores.Evaluate(mlContext, student, family, test).Accuracy : null;
                var trial = new SweepTrial(number, settings, SweepTrial.Completed, value, testAccuracy,
                    losses.Count > 0 && double.IsFinite(losses[^1]) ? losses[^1] : null, trialClock.Elapsed.TotalSeconds);
                trials.Add(trial);
                halving?.Report(settings, value);
                if (bestTrial is null || value > bestTrial.ValidationMetric)
                {
                    best?.Dispose();
                    best = student;
                    bestTrial = trial;
                }
                else
                {
                    student.Dispose();
                }

                progress?.Report(new SweepProgress(number, settings, null, trial));
            }
        }
        catch
        {
            best?.Dispose();
            throw;
        }

        if (best is null || bestTrial is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stoppedAfter = trials.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" (trial 1 was stopped after {trials[0].Seconds:F0} s of its {trials[0].Settings.Steps} steps)") : "";
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"No trial finished within the training time of {trainingSeconds:F0} s") +
                stoppedAfter + "; give more time or a search space with fewer steps.");
        }

        var leaderboard = trials.OrderByDescending(t => t.ValidationMetric ?? double.NegativeInfinity).ThenBy(t => t.Number).ToArray();
        return new SweepResult(dataset.Manifest.Name, metric.Name, tuner, trainRows.Count, validationRows.Count, test?.Count ?? 0, leaderboard, bestTrial, best,
            AnnotatedSplit.ToDataView(mlContext, trainRows.Take(1)).Schema, clock.Elapsed.TotalSeconds, trainingSeconds, cancelled);
    }

    private (IReadOnlyList<AnnotatedRow> Train, IReadOnlyList<AnnotatedRow> Validation) Split()
    {
        if (validation is not null)
        {
            return (train, validation);
        }

        var order = train.ToArray();
        new Random(seed).Shuffle(order);
        var count = Math.Clamp((int)Math.Round(carve.Fraction * order.Length), 1, Math.Min(carve.MaxRows, order.Length - 1));
        return (order.Skip(count).ToArray(), order.Take(count).ToArray());
    }

    private MultiTaskSeq2SeqTrainer.Options TrainerOptions(SweepTrialSettings s, int trial, IProgress<TrainingProgress> reporter) => new MultiTaskSeq2SeqTrainer.Options
    {
        Mode = ExperimentMethods.Mode(s.Method),
        LabelSource = ExperimentMethods.Labels(s.Method),
        Student = s.Student,
        TokenizerPath = tokenizerPath,
        MaxSteps = s.Steps,
        BatchSize = s.BatchSize,
        LearningRate = s.LearningRate,
        WarmupSteps = s.Steps / 10,
        Alpha = s.Alpha,
        MaxInputLength = s.MaxInputLength,
        MaxTargetLength = s.MaxTargetLength,
        Seed = seed * 1000 + trial,
        Device = device,
        Progress = reporter,
    }.ForTask(dataset.Manifest.Family, dataset.Schema);
}
