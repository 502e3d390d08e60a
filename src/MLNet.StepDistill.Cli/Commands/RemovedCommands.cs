namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// Commands that were removed, with what replaces each: a script that still calls one is told, whatever options it
/// passes, instead of "unknown command".
/// </summary>
internal static class RemovedCommands
{
    /// <summary>
    /// `distill` was `experiment` with one fraction and one seed: a second experiment engine with its own result types
    /// and defaults. Folded into `experiment` (comparison) and `train` (a saved student).
    /// </summary>
    internal const string Distill =
        "distill was folded into experiment: `stepdistill experiment --methods step-by-step-teacher,distillation --fractions F --seeds S --out FOLDER` " +
        "compares the students at one data size (next to the majority-class baseline, with intervals), and `stepdistill train --method step-by-step-teacher --out model.zip` trains and saves one";

    /// <summary>Throws the replacement's message when <paramref name="args"/> call a removed command.</summary>
    /// <exception cref="UserFacingException">The first argument is a removed command.</exception>
    public static void ThrowIfRemoved(IReadOnlyList<string> args)
    {
        if (args.Count > 0 && args[0] == "distill")
        {
            throw new UserFacingException(Distill);
        }
    }
}
