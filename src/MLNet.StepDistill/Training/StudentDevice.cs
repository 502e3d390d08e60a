using Microsoft.ML;
using MLNet.StepDistill.T5;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>Where a student runs: an explicit device, or the MLContext's GPU settings as ML.NET's own GPU trainers read them.</summary>
internal static class StudentDevice
{
    /// <summary>
    /// <paramref name="device"/> when given; otherwise <c>"cuda:{GpuDeviceId}"</c> when the context names a GPU (the CPU
    /// when CUDA is not available and <c>FallbackToCpu</c> is set, else an error), and <c>"cpu"</c> when it names none.
    /// </summary>
    public static string Resolve(MLContext mlContext, string? device)
    {
        if (!string.IsNullOrWhiteSpace(device))
        {
            T5Devices.Parse(device);
            return device;
        }

        if (mlContext.GpuDeviceId is not { } id)
        {
            return "cpu";
        }

        if (cuda.is_available() && id < cuda.device_count())
        {
            return $"cuda:{id}";
        }

        return mlContext.FallbackToCpu
            ? "cpu"
            : throw new InvalidOperationException(
                $"mlContext.GpuDeviceId is {id} but CUDA device {id} is not available (build with -p:TorchBackend=cuda-linux or cuda-windows); " +
                "set mlContext.FallbackToCpu = true to train on the CPU instead, or MultiTaskSeq2SeqTrainerOptions.Device = \"cpu\".");
    }
}
