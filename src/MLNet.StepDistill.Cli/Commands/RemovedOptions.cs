using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// Options that were removed, with what replaces each: a script that still passes one is told the replacement and the
/// equivalent value instead of "unknown option".
/// </summary>
internal static class RemovedOptions
{
    /// <summary>
    /// `train --mode standard|step-by-step|single-task --labels gold|teacher` named a method by two options; `train
    /// --method` takes the one name experiment --methods, results.json and the tables use.
    /// </summary>
    /// <exception cref="UserFacingException"><paramref name="args"/> call train with --mode or --labels; the message names the --method that replaces them.</exception>
    public static void ThrowIfRemoved(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] != "train")
        {
            return;
        }

        var mode = ValueOf(args, "--mode");
        var labels = ValueOf(args, "--labels");
        if (mode is null && labels is null)
        {
            return;
        }

        throw new UserFacingException($"train: --mode and --labels were replaced by --method (the names experiment --methods takes): {Equivalent(mode, labels)}");
    }

    /// <summary>The --method that trains as <c>--mode <paramref name="mode"/> --labels <paramref name="labels"/></c> did (either may be absent: "" when given without a value).</summary>
    internal static string Equivalent(string? mode, string? labels)
    {
        var given = string.Join(" ", new[] { mode is null ? null : $"--mode {mode}", labels is null ? null : $"--labels {labels}" }.OfType<string>());
        var shape = (mode ?? "step-by-step").Trim().ToLowerInvariant();
        TrainingMethod? Method(bool gold) => shape switch
        {
            "standard" => gold ? TrainingMethod.FineTuning : TrainingMethod.Distillation,
            "step-by-step" => gold ? TrainingMethod.StepByStepGold : TrainingMethod.StepByStepTeacher,
            "single-task" => gold ? null : TrainingMethod.SingleTask,
            _ => null,
        };

        string Option(TrainingMethod? method) => method is { } m ? $"--method {TrainingMethods.Name(m)}" : "no method";
        return labels?.Trim().ToLowerInvariant() switch
        {
            "gold" when Method(gold: true) is null && shape == "single-task" => $"{given} has no method (single-task learns the teacher's labels: --method single-task); known: {TrainingMethods.AllNames}",
            "gold" or "teacher" when Method(labels.Trim().Equals("gold", StringComparison.OrdinalIgnoreCase)) is { } method => $"{given} is {Option(method)}",
            null when Method(gold: false) is { } teacher => $"{given} is {Option(teacher)} (teacher labels; the old default on rows without them: {Option(Method(gold: true))})",
            _ => $"{given} names no method; known: {TrainingMethods.AllNames}",
        };
    }

    /// <summary>The value after <paramref name="flag"/> (<c>--flag value</c> or <c>--flag=value</c>), "" when it has none, null when absent.</summary>
    private static string? ValueOf(IReadOnlyList<string> args, string flag)
    {
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] == flag)
            {
                return i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : "";
            }

            if (args[i].StartsWith(flag + "=", StringComparison.Ordinal))
            {
                return args[i][(flag.Length + 1)..];
            }
        }

        return null;
    }
}
