using TorchSharp;

namespace MLNet.StepDistill.T5;

/// <summary>
/// How many CPU threads libtorch uses. libtorch's own default (one intra-op thread per physical core, plus an
/// inter-op pool) collapses on a machine whose cores are busy with other work: its threads spin waiting for each
/// other. The library therefore sets a measured default the first time it loads libtorch (see README, "Threads"), and
/// <c>MultiTaskSeq2SeqTrainerOptions.NumberOfThreads</c> and the CLI's <c>--threads</c> override it.
/// </summary>
/// <remarks>
/// The setting is process-wide (libtorch has one thread pool), so the last <see cref="Apply"/> wins for every model
/// in the process. The inter-op pool is set to one thread once, at the first <see cref="Apply"/> that chooses a count;
/// libtorch refuses that once inter-op work has started, which is then left as it is.
/// </remarks>
public static class TorchThreads
{
    /// <summary>The environment variable libtorch reads for its own default; when it is set, the library's default leaves libtorch's choice alone.</summary>
    public const string EnvironmentVariable = "OMP_NUM_THREADS";

    /// <summary>
    /// The intra-op thread count the library chooses when none is given and <see cref="EnvironmentVariable"/> is not
    /// set: 1. Measured with the 20-step tiny-student fit of <c>benchmarks/MLNet.StepDistill.Benchmarks -- threads</c>.
    /// </summary>
    public const int DefaultNumberOfThreads = 1;

    private static readonly Lock Gate = new();
    private static volatile bool configured;
    private static int libTorchDefault;
    private static bool interOpSet;

    /// <summary>libtorch's own intra-op thread count in this process (physical cores, or <see cref="EnvironmentVariable"/>), as it was before the library changed it.</summary>
    /// <exception cref="NativeTorchUnavailableException">libtorch cannot be loaded.</exception>
    public static int LibTorchDefaultNumberOfThreads
    {
        get
        {
            lock (Gate)
            {
                return CaptureLibTorchDefault();
            }
        }
    }

    /// <summary>The intra-op thread count libtorch uses now.</summary>
    /// <exception cref="NativeTorchUnavailableException">libtorch cannot be loaded.</exception>
    public static int Current
    {
        get
        {
            NativeTorch.EnsureLibraryLoaded();
            return torch.get_num_threads();
        }
    }

    /// <summary>
    /// Sets libtorch's intra-op thread count for the process: <paramref name="numberOfThreads"/> threads; null for the
    /// library's default (<see cref="DefaultNumberOfThreads"/>, or libtorch's own choice when
    /// <see cref="EnvironmentVariable"/> is set); 0 for libtorch's own choice (<see cref="LibTorchDefaultNumberOfThreads"/>,
    /// inter-op pool untouched).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numberOfThreads"/> is negative.</exception>
    /// <exception cref="NativeTorchUnavailableException">libtorch cannot be loaded.</exception>
    public static void Apply(int? numberOfThreads)
    {
        if (numberOfThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numberOfThreads), numberOfThreads,
                "NumberOfThreads must be positive, 0 (libtorch's own default) or null (the library's default).");
        }

        NativeTorch.EnsureLibraryLoaded();
        var leaveToLibTorch = numberOfThreads == 0
            || (numberOfThreads is null && !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable)));
        lock (Gate)
        {
            var original = CaptureLibTorchDefault();
            if (leaveToLibTorch)
            {
                torch.set_num_threads(original);
            }
            else
            {
                TrySetInterOpToOne();
                torch.set_num_threads(numberOfThreads ?? DefaultNumberOfThreads);
            }

            configured = true;
        }
    }

    /// <summary>Applies the default once, unless something chose a count already (called when libtorch is first used).</summary>
    internal static void EnsureConfigured()
    {
        if (!configured)
        {
            lock (Gate)
            {
                if (configured)
                {
                    return;
                }
            }

            Apply(null);
        }
    }

    private static int CaptureLibTorchDefault()
    {
        NativeTorch.EnsureLibraryLoaded();
        if (libTorchDefault == 0)
        {
            libTorchDefault = torch.get_num_threads();
        }

        return libTorchDefault;
    }

    private static void TrySetInterOpToOne()
    {
        if (interOpSet)
        {
            return;
        }

        interOpSet = true;
        try
        {
            // Allowed only before any inter-op work has started; after that libtorch keeps its pool, which is harmless.
            torch.set_num_interop_threads(1);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Left as it is: the intra-op count is what matters for eager-mode training and generation.
        }
    }
}
