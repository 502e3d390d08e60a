using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>One optimiser step of one run of a <see cref="DistillationExperiment"/>.</summary>
/// <param name="Run">The run's position (1-based) among the experiment's student runs.</param>
/// <param name="RunCount">How many student runs the experiment makes.</param>
/// <param name="Mode">The run's training mode.</param>
/// <param name="Step">The trainer's report of the step.</param>
public sealed record ExperimentProgress(int Run, int RunCount, TrainingMode Mode, TrainingProgress Step);
