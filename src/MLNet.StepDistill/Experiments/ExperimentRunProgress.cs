using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>One report of a <see cref="StepByStepExperiment"/>: an optimiser step of a run, or a run finished or skipped.</summary>
/// <param name="Run">The run's position (1-based) among all runs of the experiment.</param>
/// <param name="RunCount">How many runs the experiment has (finished ones included).</param>
/// <param name="Method">The run's method.</param>
/// <param name="Fraction">The run's training fraction.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Step">The trainer's report of the step; null when the run finished or was skipped.</param>
/// <param name="Finished">The run's result once it is scored (or found in results.json); null during training.</param>
/// <param name="Skipped">True when the run was found finished in results.json and not trained again.</param>
public sealed record ExperimentRunProgress(
    int Run, int RunCount, TrainingMethod Method, double Fraction, int Seed, TrainingProgress? Step, ExperimentRunResult? Finished, bool Skipped);
