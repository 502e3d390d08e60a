namespace MLNet.StepDistill.Experiments;

/// <summary>How a <see cref="StudentSweep"/> chooses the next trial's settings.</summary>
public enum SweepTuner
{
    /// <summary>Every trial draws all its settings at random (seeded) from the search space, steps included.</summary>
    Random,

    /// <summary>
    /// Successive halving (Jamieson and Talwalkar 2016; the rung scheme of Hyperband and ASHA), with the optimiser steps as
    /// the resource: a bracket draws η^K settings and trains each for the fewest steps of the search space, keeps the best
    /// 1/η of them by the validation metric and trains those again (from the start, so each trial's learning-rate
    /// schedule fits its own length) for η times the steps, up to the most steps; then a new bracket starts. It spends
    /// most of the budget on settings that did well in short trials.
    /// </summary>
    SuccessiveHalving,
}
