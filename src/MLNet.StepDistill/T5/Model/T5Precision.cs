namespace MLNet.StepDistill.T5;

/// <summary>How a T5 model computes. Weights are always kept in float32.</summary>
public enum T5Precision
{
    /// <summary>Everything in float32 (the CPU default).</summary>
    Float32,

    /// <summary>Matrix products in bfloat16, norms, softmax and loss in float32, as PyTorch's autocast (the CUDA default).</summary>
    BFloat16,
}
