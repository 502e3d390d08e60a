namespace MLNet.StepDistill.Experiments;

/// <summary>One row of a sweep's leaderboard.</summary>
/// <param name="Number">The trial's number (1-based, in run order).</param>
/// <param name="Settings">What it trained with.</param>
/// <param name="Status"><c>"completed"</c>, or <c>"stopped at budget"</c> when the training time ran out during it (no metric then).</param>
/// <param name="ValidationMetric">The metric on the validation rows, or null when stopped.</param>
/// <param name="TestAccuracy">Accuracy on the test rows when the sweep was given some, else null.</param>
/// <param name="FinalLoss">The last training loss, or null.</param>
/// <param name="Seconds">Wall time of training and scoring.</param>
public sealed record SweepTrial(int Number, SweepTrialSettings Settings, string Status, double? ValidationMetric, double? TestAccuracy, double? FinalLoss, double Seconds)
{
    /// <summary>The status of a trial that finished.</summary>
    public const string Completed = "completed";

    /// <summary>The status of a trial the time budget stopped.</summary>
    public const string StoppedAtBudget = "stopped at budget";
}

/// <summary>What happened in a sweep: a trial started, made a step, or finished (with its leaderboard row).</summary>
/// <param name="Trial">The trial's number (1-based).</param>
/// <param name="Settings">The trial's settings.</param>
/// <param name="Step">The trainer's step report; null for started and finished events.</param>
/// <param name="Finished">The leaderboard row when the trial finished or was stopped; null otherwise.</param>
public sealed record SweepProgress(int Trial, SweepTrialSettings Settings, Training.TrainingProgress? Step, SweepTrial? Finished)
{
    /// <summary>True for the event sent as a trial starts.</summary>
    public bool IsStart => Step is null && Finished is null;
}
