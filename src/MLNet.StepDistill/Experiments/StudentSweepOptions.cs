using System.Globalization;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// What a <see cref="StudentSweep"/> runs: the time budget, the search space, the tuner, the validation rows and the
/// metric, and the trainer settings every trial shares (<see cref="Trainer"/>). Given where the sweep is created
/// (<c>ml.StepDistill().CreateSweep(dataset, train, options)</c>) and checked there.
/// </summary>
public sealed class StudentSweepOptions
{
    /// <summary>The time budget in seconds for all trials together. Default 600.</summary>
    public double TrainingTimeSeconds { get; set; } = 600;

    /// <summary>The most trials to run; null (default) runs as many as <see cref="TrainingTimeSeconds"/> allows.</summary>
    public int? MaxTrials { get; set; }

    /// <summary>Where to look (see <see cref="SweepSearchSpace"/> for the default ranges).</summary>
    public SweepSearchSpace SearchSpace { get; set; } = new();

    /// <summary>
    /// How the next trial's settings are chosen: <see cref="SweepTuner.Random"/> (default) or
    /// <see cref="SweepTuner.SuccessiveHalving"/> (with <see cref="ReductionFactor"/>).
    /// </summary>
    public SweepTuner Tuner { get; set; } = SweepTuner.Random;

    /// <summary>Successive halving's η: a 1/η share of each rung goes on, with η times the steps. At least 2. Default 3.</summary>
    public int ReductionFactor { get; set; } = 3;

    /// <summary>Rows to validate on (the training rows are then all trained on); null (default) carves them from the training rows (<see cref="ValidationFraction"/>).</summary>
    public IReadOnlyList<AnnotatedRow>? ValidationData { get; set; }

    /// <summary>
    /// Without <see cref="ValidationData"/>: the share of the training rows carved for validation (at most
    /// <see cref="MaxValidationRows"/>), chosen with <see cref="Seed"/>; in (0, 1). Default 0.2.
    /// </summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>The most rows <see cref="ValidationFraction"/> carves. Default 300.</summary>
    public int MaxValidationRows { get; set; } = 300;

    /// <summary>Rows every finished trial is also scored on (reported, never used to choose); null (default) for none.</summary>
    public IReadOnlyList<AnnotatedRow>? TestData { get; set; }

    /// <summary>The metric to maximise on the validation rows. Default <see cref="SweepMetric.Accuracy"/>.</summary>
    public SweepMetric Metric { get; set; } = SweepMetric.Accuracy;

    /// <summary>The seed of the settings drawn, the validation carve and every trial's training (trial n trains with seed <c>Seed * 1000 + n</c>). Default 0.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// How many trials train side by side, each on a dedicated thread with its own random generator (a completed trial's
    /// result does not depend on what ran beside it). Null (default): max(1, cores / torch threads per run (1)), 2 on two
    /// cores. Random trials start in trial order as others finish; successive halving runs the trials of a rung side by
    /// side and chooses the next rung when the rung is done.
    /// </summary>
    public int? Parallel { get; set; }

    /// <summary>
    /// The trainer settings every trial shares (the device, the tokenizer, the threads, the optimiser's other settings);
    /// each trial sets its own method, student, alpha, learning rate, steps, batch size, lengths, warm-up (a tenth of
    /// its steps) and seed, so those stay at the trainer's defaults here. Default: the trainer's defaults on the
    /// <c>"cpu"</c> device.
    /// </summary>
    public MultiTaskSeq2SeqTrainerOptions Trainer { get; set; } = new() { Device = "cpu" };

    /// <summary>Receives trial started, every step, and trial finished (with its metric); with trials side by side, from their threads. Null (default) for none.</summary>
    public IProgress<SweepProgress>? Progress { get; set; }

    /// <summary>Checks every option and names the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        void Require(bool ok, string option, string problem)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(option, string.Create(CultureInfo.InvariantCulture, $"{nameof(StudentSweepOptions)}.{option} {problem}"));
            }
        }

        Require(double.IsFinite(TrainingTimeSeconds) && TrainingTimeSeconds > 0, nameof(TrainingTimeSeconds), $"must be positive, got {TrainingTimeSeconds}.");
        Require(MaxTrials is null or > 0, nameof(MaxTrials), $"must be positive or null (as many as the time allows), got {MaxTrials}.");
        Require(SearchSpace is not null, nameof(SearchSpace), "must be set.");
        SearchSpace!.Validate();
        Require(Enum.IsDefined(Tuner), nameof(Tuner), $"is not a sweep tuner: {Tuner}.");
        Require(ReductionFactor >= 2, nameof(ReductionFactor), $"must be at least 2, got {ReductionFactor}.");
        Require(ValidationData is not { Count: 0 }, nameof(ValidationData), "is empty: give rows, or null to carve them from the training rows.");
        Require(ValidationFraction is > 0 and < 1, nameof(ValidationFraction), $"must be in (0, 1), got {ValidationFraction}.");
        Require(MaxValidationRows > 0, nameof(MaxValidationRows), $"must be positive, got {MaxValidationRows}.");
        Require(Metric is not null, nameof(Metric), "must be set.");
        Require(Parallel is null or > 0, nameof(Parallel), $"must be positive (trials side by side) or null (one per core), got {Parallel}.");
        Require(Trainer is not null, nameof(Trainer), "must be set.");
        RunTrainerOptions.ValidateShared(Trainer!, $"{nameof(StudentSweepOptions)}.{nameof(Trainer)}",
            "each trial sets it (from the settings it draws from SearchSpace, the sweep's Seed, and the annotated rows' columns)", DrawnPerTrial);
    }

    /// <summary>The trainer settings each trial draws from the <see cref="SearchSpace"/>.</summary>
    private static readonly string[] DrawnPerTrial =
    [
        nameof(MultiTaskSeq2SeqTrainerOptions.Student), nameof(MultiTaskSeq2SeqTrainerOptions.Alpha), nameof(MultiTaskSeq2SeqTrainerOptions.LearningRate),
        nameof(MultiTaskSeq2SeqTrainerOptions.BatchSize), nameof(MultiTaskSeq2SeqTrainerOptions.MaxInputLength), nameof(MultiTaskSeq2SeqTrainerOptions.MaxTargetLength),
    ];
}
