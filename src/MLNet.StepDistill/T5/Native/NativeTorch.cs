using TorchSharp;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Loads TorchSharp's native libtorch once and turns the usual failure (an old libstdc++) into an
/// error that says how to fix the machine.
/// </summary>
public static class NativeTorch
{
    /// <summary>What a user should do when libtorch does not load.</summary>
    public const string FixHint =
        "TorchSharp 0.107 (libtorch 2.10) needs libstdc++ from GCC 13 or newer (GLIBCXX_3.4.32). " +
        "On Debian 12 run `bash eng/install-prereqs.sh` from the repository root; Ubuntu 24.04, Debian 13, " +
        "Windows and macOS need nothing. An app that references the MLNet.StepDistill package must also reference a native " +
        "libtorch package of its own: libtorch-cpu-linux-x64, libtorch-cpu-win-x64, libtorch-cpu-osx-arm64 (or TorchSharp-cpu " +
        "for all three), or libtorch-cuda-12.8-linux-x64 / TorchSharp-cuda-windows for a GPU; see README.md (TorchBackend, " +
        "Deploying without libtorch).";

    private static readonly Lazy<Exception?> LoadFailure = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes sure libtorch is loaded, with the library's thread default applied once (<see cref="TorchThreads"/>);
    /// throws <see cref="NativeTorchUnavailableException"/> with a fix otherwise.
    /// </summary>
    public static void EnsureLoaded()
    {
        EnsureLibraryLoaded();
        TorchThreads.EnsureConfigured();
    }

    /// <summary>Loads libtorch without touching its thread settings.</summary>
    internal static void EnsureLibraryLoaded()
    {
        if (LoadFailure.Value is { } failure)
        {
            throw new NativeTorchUnavailableException($"libtorch could not be loaded: {failure.Message}\n{FixHint}", failure);
        }
    }

    /// <summary>Loads libtorch, runs a small matmul and describes the result in one line.</summary>
    public static string Check()
    {
        EnsureLoaded();
        using var a = torch.ones(64, 64);
        using var b = a.matmul(a);
        var value = b[0, 0].item<float>();
        var cuda = torch.cuda.is_available() ? $"CUDA available ({torch.cuda.device_count()} device(s))" : "CUDA not available";
        return $"libtorch loaded: TorchSharp {typeof(torch).Assembly.GetName().Version}, 64x64 matmul = {value}, {cuda}";
    }

    private static Exception? TryLoad()
    {
        try
        {
            GlibcMallocSettings.Apply();
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.zeros(1);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
