using Microsoft.ML.OnnxRuntime;

namespace MLNet.StepDistill.Onnx;

/// <summary>How ONNX Runtime runs an exported student.</summary>
public sealed class OnnxRuntimeOptions
{
    /// <summary>Threads one graph run may use (ONNX Runtime's intra-op threads); 0 lets ONNX Runtime choose (all cores). Default 0.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Run on the CUDA execution provider (needs the app to reference <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> or
    /// <c>.Gpu.Windows</c> instead of <c>Microsoft.ML.OnnxRuntime</c>). Default false: the CPU.
    /// </summary>
    public bool UseCuda { get; set; }

    /// <summary>The CUDA device when <see cref="UseCuda"/> is set. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Checks every option and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "OnnxRuntimeOptions.Threads must be 0 (ONNX Runtime's choice) or positive.");
        }

        if (CudaDeviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CudaDeviceId), CudaDeviceId, "OnnxRuntimeOptions.CudaDeviceId must be 0 or more.");
        }
    }

    internal SessionOptions ToSessionOptions()
    {
        Validate();
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (Threads > 0)
        {
            options.IntraOpNumThreads = Threads;
            options.InterOpNumThreads = 1;
        }

        if (UseCuda)
        {
            try
            {
                options.AppendExecutionProvider_CUDA(CudaDeviceId);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                options.Dispose();
                throw new InvalidOperationException(
                    "OnnxRuntimeOptions.UseCuda: ONNX Runtime's CUDA execution provider is not available. Reference Microsoft.ML.OnnxRuntime.Gpu.Linux or " +
                    "Microsoft.ML.OnnxRuntime.Gpu.Windows (not Microsoft.ML.OnnxRuntime) and install CUDA 12 and cuDNN 9. " + ex.Message, ex);
            }
        }

        return options;
    }
}
