namespace MLNet.StepDistill.Experiments;

/// <summary>How many optimiser steps each run of a <see cref="StepByStepExperiment"/> makes.</summary>
public enum ExperimentStepBudget
{
    /// <summary>Every run makes <see cref="StepByStepExperimentOptions.Steps"/> steps whatever its fraction (the paper's rule): a smaller fraction sees its rows more often.</summary>
    EqualSteps,

    /// <summary>
    /// Every run sees its rows equally often: a fraction f makes f x <see cref="StepByStepExperimentOptions.Steps"/> steps
    /// (rounded, at least 1), so a smaller fraction also gets less training, and the experiment costs about the sum of its fractions.
    /// </summary>
    EqualEpochs,
}
