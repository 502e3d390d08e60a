namespace MLNet.StepDistill.Training;

/// <summary>How the learning rate changes after the warm-up steps.</summary>
public enum LearningRateSchedule
{
    /// <summary>Stays at the base rate after warm-up.</summary>
    Constant,

    /// <summary>Decays linearly from the base rate to zero at the last step (Hugging Face's default).</summary>
    Linear,
}
