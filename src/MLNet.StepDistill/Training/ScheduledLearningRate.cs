namespace MLNet.StepDistill.Training;

/// <summary>The learning rate of one optimiser step: linear warm-up, then constant or linear decay to zero.</summary>
internal static class ScheduledLearningRate
{
    /// <summary>The rate for the 0-based <paramref name="step"/> of <paramref name="totalSteps"/>, as Hugging Face's schedules compute it.</summary>
    public static double At(int step, int totalSteps, int warmupSteps, double baseRate, LearningRateSchedule schedule)
    {
        if (warmupSteps > 0 && step < warmupSteps)
        {
            return baseRate * (step + 1) / warmupSteps;
        }

        if (schedule == LearningRateSchedule.Constant)
        {
            return baseRate;
        }

        var decaySteps = Math.Max(1, totalSteps - warmupSteps);
        var remaining = Math.Max(0, totalSteps - step);
        return baseRate * Math.Min(1.0, (double)remaining / decaySteps);
    }
}
