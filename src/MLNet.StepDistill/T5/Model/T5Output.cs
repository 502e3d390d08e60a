using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>What a teacher-forced forward pass returns. Disposing it frees the tensors (or use a dispose scope).</summary>
public sealed class T5Output : IDisposable
{
    internal T5Output(Tensor logits, Tensor? loss, Tensor encoderLastHiddenState)
    {
        Logits = logits;
        Loss = loss;
        EncoderLastHiddenState = encoderLastHiddenState;
    }

    /// <summary>Next-token logits [batch, target length, vocab], float32.</summary>
    public Tensor Logits { get; }

    /// <summary>Mean cross-entropy over label positions that are not -100 (a scalar), when labels were given.</summary>
    public Tensor? Loss { get; }

    /// <summary>The encoder output [batch, source length, d_model].</summary>
    public Tensor EncoderLastHiddenState { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Logits.Dispose();
        Loss?.Dispose();
        EncoderLastHiddenState.Dispose();
    }
}
