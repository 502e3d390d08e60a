using MLNet.StepDistill.T5;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

internal sealed class DoctorCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        var report = NativeTorch.Check();
        Console.WriteLine(report);
        Console.WriteLine($"libtorch threads: {TorchThreads.Current} intra-op (libtorch's own default here: {TorchThreads.LibTorchDefaultNumberOfThreads}; train, evaluate and predict take --threads N)");
        return 0;
    }
}
