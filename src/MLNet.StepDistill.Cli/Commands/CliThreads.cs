using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>The <c>--threads N</c> option every command that runs the model takes.</summary>
internal static class CliThreads
{
    /// <summary>The option's help text.</summary>
    public const string Help =
        "CPU threads for libtorch: N, or 0 for libtorch's own default (one per core). Default 1 (measured: more threads " +
        "collapse on a busy machine; see README, Threads), or OMP_NUM_THREADS when it is set.";

    /// <summary>Sets the process's libtorch threads before the command loads or trains a model; null keeps the library's default.</summary>
    public static void Apply(string command, int? threads)
    {
        if (threads is < 0)
        {
            throw new UserFacingException($"{command}: --threads must be 0 (libtorch's own default) or more, got {threads}");
        }

        if (threads is not null)
        {
            TorchThreads.Apply(threads);
        }
    }
}
