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

    internal SessionOptions ToSessionOptions()
    {
        if (Threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be 0 (ONNX Runtime's choice) or positive.");
        }

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
                    "UseCuda: ONNX Runtime's CUDA execution provider is not available. Reference Microsoft.ML.OnnxRuntime.Gpu.Linux or " +
                    "Microsoft.ML.OnnxRuntime.Gpu.Windows (not Microsoft.ML.OnnxRuntime) and install CUDA 12 and cuDNN 9. " + ex.Message, ex);
            }
        }

        return options;
    }
}
