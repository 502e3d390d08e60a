namespace MLNet.StepDistill.Training;

/// <summary>One report from the training loop, after an optimiser step (and after a validation pass, when one ran).</summary>
/// <param name="Step">Optimiser steps done so far (1-based).</param>
/// <param name="TotalSteps">Optimiser steps the run will make.</param>
/// <param name="Epoch">The 0-based pass over the training rows the step belongs to.</param>
/// <param name="Loss">The step's weighted loss (alpha * label + (1 - alpha) * rationale in step-by-step mode).</param>
/// <param name="LabelLoss">The label task's loss, or null when the step had no label batch.</param>
/// <param name="RationaleLoss">The rationale task's loss, or null when the step had no rationale batch.</param>
/// <param name="LearningRate">The learning rate the step used.</param>
/// <param name="ValidationAccuracy">The validation accuracy measured after this step, or null when none was measured.</param>
public sealed record TrainingProgress(
    int Step,
    int TotalSteps,
    int Epoch,
    double Loss,
    double? LabelLoss,
    double? RationaleLoss,
    double LearningRate,
    double? ValidationAccuracy);
