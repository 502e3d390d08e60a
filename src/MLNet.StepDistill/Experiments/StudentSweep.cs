using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Diagnostics;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// A Model Builder-style search for the best student in a time budget, shaped like ML.NET AutoML's experiment:
/// <c>ml.StepDistill().CreateSweep(dataset, train, new StudentSweepOptions { TrainingTimeSeconds = 600, MaxTrials = 20 }).Run()</c>.
/// Trials run side by side (<see cref="StudentSweepOptions.Parallel"/>; one after another with 1), each with settings
/// from the <see cref="SweepTuner"/> (drawn at random, seeded, from the <see cref="SweepSearchSpace"/>, or by successive
/// halving over the steps); each is scored on the validation rows by the <see cref="SweepMetric"/>. A trial still
/// training when the budget ends is stopped there (and listed as stopped, as is every trial in flight); the best
/// trial's fitted student is returned with the leaderboard.
/// </summary>
public sealed class StudentSweep
{
    private readonly MLContext mlContext;
    private readonly TaskDataset dataset;
    private readonly IReadOnlyList<AnnotatedRow> train;
    private readonly StudentSweepOptions options;

    /// <exception cref="ArgumentException">Fewer than two training rows, or an option is out of range (the message names it).</exception>
    internal StudentSweep(MLContext mlContext, TaskDataset dataset, IReadOnlyList<AnnotatedRow> train, StudentSweepOptions options)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        this.train = train ?? throw new ArgumentNullException(nameof(train));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        if (train.Count < 2)
        {
            throw new ArgumentException($"A sweep needs at least two training rows, got {train.Count}.", nameof(train));
        }

        options.Validate();
    }

    /// <summary>
    /// Runs trials until the time budget or <see cref="StudentSweepOptions.MaxTrials"/> is reached. Cancelling stops the running trial and
    /// returns the trials finished so far (<see cref="SweepResult.Cancelled"/>); with none finished it throws.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled before any trial finished.</exception>
    /// <exception cref="InvalidOperationException">The budget ended before any trial finished (the message says how long one took).</exception>
    public SweepResult Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var (seed, trainingSeconds, maxTrials, progress, test) = (options.Seed, options.TrainingTimeSeconds, options.MaxTrials ?? int.MaxValue, options.Progress, options.TestData);
        var parallel = options.Parallel ?? SideBySideRuns.DefaultParallel();
        var random = new Random(seed);
        var (trainRows, validationRows) = Split();
        var family = dataset.Manifest.Family;
        var trainData = AnnotatedSplit.ToDataView(mlContext, trainRows);
        var trials = new List<SweepTrial>();
        Seq2SeqStudentTransformer? best = null;
        SweepTrial? bestTrial = null;
        var cancelled = false;
        var halving = options.Tuner == SweepTuner.SuccessiveHalving ? new SuccessiveHalvingTuner(options.SearchSpace, random, options.ReductionFactor) : null;
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
                var value = options.Metric.Compute(mlContext, student, family, validationRows);
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
        return new SweepResult(dataset.Manifest.Name, options.Metric.Name, options.Tuner, trainRows.Count, validationRows.Count, test?.Count ?? 0, leaderboard, bestTrial, best,
            AnnotatedSplit.ToDataView(mlContext, trainRows.Take(1)).Schema, clock.Elapsed.TotalSeconds, trainingSeconds, cancelled,
            parallel, ProcessMemory.PeakResident);
    }

    /// <summary>Settings drawn at random (seeded) from the search space, one per trial, without end.</summary>
    private IEnumerable<SweepTrialSettings> RandomSettings(Random random)
    {
        while (true)
        {
            yield return options.SearchSpace.Sample(random);
        }
    }

    private (IReadOnlyList<AnnotatedRow> Train, IReadOnlyList<AnnotatedRow> Validation) Split()
    {
        if (options.ValidationData is { } validation)
        {
            return (train, validation);
        }

        var order = train.ToArray();
        new Random(options.Seed).Shuffle(order);
        var count = Math.Clamp((int)Math.Round(options.ValidationFraction * order.Length), 1, Math.Min(options.MaxValidationRows, order.Length - 1));
        return (order.Skip(count).ToArray(), order.Take(count).ToArray());
    }

    /// <summary>A trial's trainer options: the shared <see cref="StudentSweepOptions.Trainer"/> with the trial's drawn settings and seed.</summary>
    private MultiTaskSeq2SeqTrainerOptions TrainerOptions(SweepTrialSettings s, int trial, IProgress<TrainingProgress> reporter)
    {
        var trainer = RunTrainerOptions.For(options.Trainer, s.Method, s.Steps, s.Steps / 10, options.Seed * 1000 + trial, reporter, dataset);
        trainer.Student = s.Student;
        trainer.LearningRate = s.LearningRate;
        trainer.BatchSize = s.BatchSize;
        trainer.Alpha = s.Alpha;
        trainer.MaxInputLength = s.MaxInputLength;
        trainer.MaxTargetLength = s.MaxTargetLength;
        return trainer;
    }
}
