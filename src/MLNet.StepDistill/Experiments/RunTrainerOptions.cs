using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// The trainer options of one run of an experiment or one trial of a sweep: a copy of the settings all runs share
/// (<see cref="StepByStepExperimentOptions.Trainer"/>, <see cref="StudentSweepOptions.Trainer"/>) with what the run
/// itself decides (its method, steps, warm-up, seed, progress and the task's answers) set on it. The one place a run's
/// trainer options are built, and the one check that the shared settings leave those to the run.
/// </summary>
internal static class RunTrainerOptions
{
    /// <summary>The trainer settings every run sets itself, so the shared settings must leave them at their defaults.</summary>
    private static readonly string[] SetByEveryRun =
    [
        nameof(MultiTaskSeq2SeqTrainerOptions.Method),
        nameof(MultiTaskSeq2SeqTrainerOptions.MaxSteps), nameof(MultiTaskSeq2SeqTrainerOptions.WarmupSteps),
        nameof(MultiTaskSeq2SeqTrainerOptions.Seed), nameof(MultiTaskSeq2SeqTrainerOptions.Progress),
        nameof(MultiTaskSeq2SeqTrainerOptions.CheckpointFolder), nameof(MultiTaskSeq2SeqTrainerOptions.Resume),
        nameof(MultiTaskSeq2SeqTrainerOptions.ChoicesColumnName), nameof(MultiTaskSeq2SeqTrainerOptions.Labels),
        nameof(MultiTaskSeq2SeqTrainerOptions.AnswerKind),
    ];

    /// <summary>
    /// A copy of <paramref name="shared"/> for one run of <paramref name="method"/>: <paramref name="steps"/> optimiser
    /// steps, <paramref name="warmupSteps"/> of warm-up, <paramref name="seed"/>, and the answers of
    /// <paramref name="dataset"/>'s task (<see cref="MultiTaskSeq2SeqTrainerOptions.ForTask"/>).
    /// </summary>
    public static MultiTaskSeq2SeqTrainerOptions For(MultiTaskSeq2SeqTrainerOptions shared, TrainingMethod method, int steps, int warmupSteps, int seed,
        IProgress<TrainingProgress> progress, TaskDataset dataset)
    {
        var options = shared.Copy();
        options.Method = method;
        options.MaxSteps = steps;
        options.WarmupSteps = warmupSteps;
        options.Seed = seed;
        options.Progress = progress;
        return options.ForTask(dataset.Manifest.Family, dataset.Schema);
    }

    /// <summary>
    /// Checks <paramref name="shared"/> (the trainer's own <see cref="MultiTaskSeq2SeqTrainerOptions.Validate"/>) and that
    /// it leaves what every run sets, the column names (runs read annotated rows) and <paramref name="alsoSetByRun"/> at
    /// the trainer's defaults.
    /// </summary>
    /// <param name="shared">The shared trainer settings.</param>
    /// <param name="name">The option that holds them, e.g. <c>StepByStepExperimentOptions.Trainer</c>, for the messages.</param>
    /// <param name="why">Why a run sets a setting itself, for the messages.</param>
    /// <param name="alsoSetByRun">The owner's own per-run settings (property names of <see cref="MultiTaskSeq2SeqTrainerOptions"/>).</param>
    /// <exception cref="ArgumentException">A setting is out of range, or set where the run sets it; the message names it.</exception>
    public static void ValidateShared(MultiTaskSeq2SeqTrainerOptions shared, string name, string why, IEnumerable<string> alsoSetByRun)
    {
        shared.Validate();
        var defaults = new MultiTaskSeq2SeqTrainerOptions();
        var properties = typeof(MultiTaskSeq2SeqTrainerOptions).GetProperties();
        var setByRun = SetByEveryRun.Concat(alsoSetByRun).Concat(properties.Select(p => p.Name).Where(p => p.EndsWith("ColumnName", StringComparison.Ordinal)));
        foreach (var property in properties.Where(p => setByRun.Contains(p.Name)))
        {
            if (!Equals(property.GetValue(shared), property.GetValue(defaults)))
            {
                throw new ArgumentException($"{name}.{property.Name} must stay at the trainer's default ({property.GetValue(defaults) ?? "null"}): {why}.", $"{name}.{property.Name}");
            }
        }
    }
}
