using MLNet.StepDistill.T5;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

internal sealed class DoctorCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellationToken)
    {
        var report = NativeTorch.Check();
        Console.WriteLine(report);
        return 0;
    }
}
