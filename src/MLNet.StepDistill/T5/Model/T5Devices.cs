using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>Device and precision defaults: CUDA with bf16 autocast when available, else CPU with float32.</summary>
public static class T5Devices
{
    /// <summary>CUDA when <c>torch.cuda.is_available()</c>, else the CPU.</summary>
    public static Device Default
    {
        get
        {
            NativeTorch.EnsureLoaded();
            return cuda.is_available() ? CUDA : CPU;
        }
    }

    /// <summary>
    /// Parses a device setting: <c>"auto"</c> (or null/empty) gives <see cref="Default"/>; otherwise a TorchSharp device
    /// string such as <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:1"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a device, or names CUDA where none is available.</exception>
    public static Device Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return Default;
        }

        NativeTorch.EnsureLoaded();
        if (name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !cuda.is_available())
        {
            throw new ArgumentException(
                $"Device \"{name}\" was asked for but CUDA is not available (build with -p:TorchBackend=cuda-linux or cuda-windows on a machine with a GPU).",
                nameof(name));
        }

        Device device;
        try
        {
            device = torch.device(name);
        }
        catch (Exception ex)
        {
            throw new ArgumentException($"Unknown device \"{name}\" ({ex.Message}); use auto, cpu, cuda or cuda:<index>.", nameof(name), ex);
        }

        if (device.type == DeviceType.CUDA && !cuda.is_available())
        {
            throw new ArgumentException(
                $"Device \"{name}\" was asked for but CUDA is not available (build with -p:TorchBackend=cuda-linux or cuda-windows on a machine with a GPU).",
                nameof(name));
        }

        return device;
    }

    /// <summary>The default precision on a device: bf16 autocast on CUDA, float32 elsewhere.</summary>
    public static T5Precision DefaultPrecision(Device device) =>
        device.type == DeviceType.CUDA ? T5Precision.BFloat16 : T5Precision.Float32;
}
