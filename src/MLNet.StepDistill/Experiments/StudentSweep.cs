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
/// <c>ml.StepDistill().CreateSweep(dataset, train).SetTrainingTime(600).SetMaxTrials(20).Run()</c>. Trials run side by
/// side (<see cref="SetParallel"/>; one after another with 1), each with settings from the <see cref="SweepTuner"/> (drawn at random, seeded, from the
/// <see cref="SweepSearchSpace"/>, or by successive halving over the steps); each is scored on the validation rows by the
/// <see cref="SweepMetric"/>. A trial still training when the budget ends is stopped there (and
/// listed as stopped, as is every trial in flight); the best trial's fitted student is returned with the leaderboard.
/// </summary>
public sealed class StudentSweep
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
    private int parallel = SideBySideRuns.DefaultParallel();

    internal StudentSweep(MLContext mlContext, TaskDataset dataset, IReadOnlyList<AnnotatedRow> train)
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
    public StudentSweep SetTrainingTime(double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seconds);
        trainingSeconds = seconds;
        return this;
    }

    /// <summary>The most trials to run. Default: as many as the time allows.</summary>
    public StudentSweep SetMaxTrials(int trials)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        maxTrials = trials;
        return this;
    }

    /// <summary>Where to look (see <see cref="SweepSearchSpace"/> for the default ranges).</summary>
    public StudentSweep SetSearchSpace(SweepSearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        searchSpace = space;
        return this;
    }

    /// <summary>Validate on these rows (the training rows are then all trained on).</summary>
    public StudentSweep SetValidationData(IReadOnlyList<AnnotatedRow> rows)
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
    public StudentSweep SetValidationFraction(double fraction, int maxRows = 300)
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
    public StudentSweep SetTestData(IReadOnlyList<AnnotatedRow> rows)
    {
        test = rows ?? throw new ArgumentNullException(nameof(rows));
        return this;
    }

    /// <summary>The metric to maximise. Default <see cref="SweepMetric.Accuracy"/>.</summary>
    public StudentSweep SetMetric(SweepMetric value)
    {
        metric = value ?? throw new ArgumentNullException(nameof(value));
        return this;
    }

    /// <summary>The seed of the settings drawn, the validation carve and every trial's training. Default 0.</summary>
    public StudentSweep SetSeed(int value)
    {
        seed = value;
        return this;
    }

    /// <summary>The torch device of every trial. Default <c>"cpu"</c>.</summary>
    public StudentSweep SetDevice(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        device = value;
        return this;
    }

    /// <summary>The SentencePiece model for presets; default the shipped one.</summary>
    public StudentSweep SetTokenizer(string? path)
    {
        tokenizerPath = path;
        return this;
    }

    /// <summary>
    /// How the next trial's settings are chosen: <see cref="SweepTuner.Random"/> (default) or
    /// <see cref="SweepTuner.SuccessiveHalving"/> with <paramref name="reductionFactor"/> η (default 3: a third of each
    /// rung goes on, with three times the steps).
    /// </summary>
    public StudentSweep SetTuner(SweepTuner value, int reductionFactor = 3)
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

    /// <summary>
    /// How many trials train side by side, each on a dedicated thread with its own random generator (a completed trial's
    /// result does not depend on what ran beside it). Default: max(1, cores / torch threads per run (1)), 2 on two
    /// cores. Random trials start in trial order as others finish; successive halving runs the trials of a rung side by
    /// side and chooses the next rung when the rung is done.
    /// </summary>
    public StudentSweep SetParallel(int trials)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials);
        parallel = trials;
        return this;
    }

    /// <summary>Receives trial started, every step, and trial finished (with its metric); with trials side by side, from their threads.</summary>
    public StudentSweep SetProgress(IProgress<SweepProgress>? value)
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
        var trainData = AnnotatedSplit.ToDataView(mlContext, trainRows);
        var trials = new List<SweepTrial>();
        Seq2SeqStudentTransformer? best = null;
        SweepTrial? bestTrial = null;
        var cancelled = false;
        var halving = tuner == SweepTuner.SuccessiveHalving ? new SuccessiveHalvingTuner(searchSpace, random, reductionFactor) : null;
        // The budget stops every trial in flight when it ends; a trial it stops is listed as stopped.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(TimeSpan.FromSeconds(Math.Max(0.001, trainingSeconds - clock.Elapsed.TotalSeconds)));
        var number = 0;
        var stoppedAtBudget = false;

        // The next trial's settings, drawn in trial order as a trial starts: the same settings whatever runs beside it.
        IEnumerable<(int Number, SweepTrialSettings Settings)> Trials(IEnumerable<SweepTrialSettings> settings)
        {
            foreach (var next in settings)
            {
                if (number >= maxTrials || clock.Elapsed.TotalSeconds >= trainingSeconds || stoppedAtBudget || cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                number++;
                progress?.Report(new SweepProgress(number, next, null, null));
                yield return (number, next);
            }
        }

        (SweepTrial Trial, Seq2SeqStudentTransformer? Student) RunTrial((int Number, SweepTrialSettings Settings) t, CancellationToken token)
        {
            var trialClock = Stopwatch.StartNew();
            var losses = new List<double>();
            Seq2SeqStudentTransformer student;
            try
            {
                var reporter = new SynchronousProgress<TrainingProgress>(step =>
                {
                    losses.Add(step.Loss);
                    progress?.Report(new SweepProgress(t.Number, t.Settings, step, null));
                });
                student = mlContext.StepDistill().Trainers.MultiTaskSeq2Seq(TrainerOptions(t.Settings, t.Number, reporter))
                    .Fit(trainData, null, token);
            }
            catch (OperationCanceledException) when (budget.IsCancellationRequested)
            {
                return (new SweepTrial(t.Number, t.Settings, SweepTrial.StoppedAtBudget, null, null, losses.Count > 0 ? losses[^1] : null, trialClock.Elapsed.TotalSeconds), null);
            }

            try
            {
                var value = metric.Compute(mlContext, student, family, validationRows);
                double? testAccuracy = test is { Count: > 0 } ? StudentScores.Evaluate(mlContext, student, family, test).Accuracy : null;
                return (new SweepTrial(t.Number, t.Settings, SweepTrial.Completed, value, testAccuracy,
                    losses.Count > 0 && double.IsFinite(losses[^1]) ? losses[^1] : null, trialClock.Elapsed.TotalSeconds), student);
            }
            catch
            {
                student.Dispose();
                throw;
            }
        }

        void Finished((SweepTrial Trial, Seq2SeqStudentTransformer? Student) done)
        {
            var trial = done.Trial;
            trials.Add(trial);
            if (done.Student is { } student)
            {
                // Ties go to the lower trial number, as when trials run one after another.
                if (bestTrial is null || trial.ValidationMetric > bestTrial.ValidationMetric ||
                    trial.ValidationMetric == bestTrial.ValidationMetric && trial.Number < bestTrial.Number)
                {
                    best?.Dispose();
                    best = student;
                    bestTrial = trial;
                }
                else
                {
                    student.Dispose();
                }
            }
            else
            {
                stoppedAtBudget = true;
                cancelled |= cancellationToken.IsCancellationRequested;
            }

            progress?.Report(new SweepProgress(trial.Number, trial.Settings, null, trial));
        }

        try
        {
            if (halving is null)
            {
                SideBySideRuns.Run(Trials(RandomSettings(random)), parallel, RunTrial, (_, done) => Finished(done), budget.Token);
            }
            else
            {
                // Successive halving: the trials of a rung side by side; the tuner hears their metrics in trial order once
                // the rung is done, as it would one after another, and chooses the next rung from them.
                while (!stoppedAtBudget && number < maxTrials && clock.Elapsed.TotalSeconds < trainingSeconds && !cancellationToken.IsCancellationRequested)
                {
                    var rung = new SortedDictionary<int, (SweepTrialSettings Settings, double? Metric)>();
                    SideBySideRuns.Run(Trials(halving.TakeRung()), parallel, RunTrial, (_, done) =>
                    {
                        Finished(done);
                        rung[done.Trial.Number] = (done.Trial.Settings, done.Trial.ValidationMetric);
                    }, budget.Token);
                    foreach (var (settings, value) in rung.Values.Where(r => r.Metric is not null))
                    {
                        halving.Report(settings, value!.Value);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (budget.IsCancellationRequested)
        {
            cancelled = cancellationToken.IsCancellationRequested;   // the budget ended, or the caller cancelled: the trials so far stand
        }
        catch
        {
            best?.Dispose();
            throw;
        }

        cancelled |= cancellationToken.IsCancellationRequested;
        trials.Sort((a, b) => a.Number.CompareTo(b.Number));
        if (best is null || bestTrial is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stoppedAfter = trials.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" (trial 1 was stopped after {trials[0].Seconds:F0} s of its {trials[0].Settings.Steps} steps)") : "";
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"No trial finished within the training time of {trainingSeconds:F0} s") +
                stoppedAfter + "; give more time or a search space with fewer steps.");
        }

        var leaderboard = trials.OrderByDescending(t => t.ValidationMetric ?? double.NegativeInfinity).ThenBy(t => t.Number).ToArray();
        return new SweepResult(dataset.Manifest.Name, metric.Name, tuner, trainRows.Count, validationRows.Count, test?.Count ?? 0, leaderboard, bestTrial, best,
            AnnotatedSplit.ToDataView(mlContext, trainRows.Take(1)).Schema, clock.Elapsed.TotalSeconds, trainingSeconds, cancelled,
            parallel, ProcessMemory.PeakResident);
    }

    /// <summary>Settings drawn at random (seeded) from the search space, one per trial, without end.</summary>
    private IEnumerable<SweepTrialSettings> RandomSettings(Random random)
    {
        while (true)
        {
            yield return searchSpace.Sample(random);
        }
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
        Method = s.Method,
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
