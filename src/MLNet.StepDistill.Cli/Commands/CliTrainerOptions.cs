using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Trainer options from CLI words: the training method, as <c>train --method</c>, <c>experiment --methods</c> and <c>sweep --methods</c> spell it.</summary>
internal static class CliTrainerOptions
{
    /// <summary>A method by its name (<see cref="TrainingMethods.Name"/>); the error names <paramref name="command"/>, <paramref name="flag"/> and the known names.</summary>
    /// <exception cref="UserFacingException">An unknown name.</exception>
    public static TrainingMethod ParseMethod(string command, string flag, string value) =>
        TrainingMethods.TryParse(value, out var method)
            ? method
            : throw new UserFacingException($"{command}: {flag}: \"{value}\" is not a method; known: {TrainingMethods.AllNames}");
}
