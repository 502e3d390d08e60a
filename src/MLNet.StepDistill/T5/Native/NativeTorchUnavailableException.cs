namespace MLNet.StepDistill.T5;

/// <summary>TorchSharp's native libtorch did not load; the message says how to fix the machine.</summary>
public sealed class NativeTorchUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and how to fix it.</param>
    /// <param name="innerException">The loader's own error.</param>
    public NativeTorchUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
