using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// Where a <see cref="StudentSweep"/> looks. Every trial draws each setting independently (seeded): a method, a
/// student and the listed choices uniformly, alpha uniformly in its range, the learning rate and the steps log-uniformly
/// in theirs. The defaults suit a student trained from scratch on a CPU in a budget of minutes; widen them for a GPU.
/// </summary>
public sealed class SweepSearchSpace
{
    /// <summary>The methods to try. Default the paper's four (<see cref="TrainingMethods.Paper"/>).</summary>
    public TrainingMethod[] Methods { get; set; } = [.. TrainingMethods.Paper];

    /// <summary>Students: presets trained from scratch or checkpoint folders. Default <c>["tiny"]</c>.</summary>
    public string[] Students { get; set; } = ["tiny"];

    /// <summary>The range of alpha (label-loss weight of the step-by-step methods), drawn uniformly. Default 0.3 to 0.8.</summary>
    public (float Min, float Max) Alpha { get; set; } = (0.3f, 0.8f);

    /// <summary>
    /// The learning-rate range, drawn log-uniformly. Default 2e-4 to 1.5e-3, for a preset from scratch (measured on the
    /// tiny student and e-SNLI: 5e-4 learned best, 2e-3 collapsed to one class; see the README); about 1e-5 to 3e-4 suits
    /// pretrained checkpoints.
    /// </summary>
    public (double Min, double Max) LearningRate { get; set; } = (2e-4, 1.5e-3);

    /// <summary>The range of optimiser steps per trial, drawn log-uniformly. Default 20 to 200.</summary>
    public (int Min, int Max) Steps { get; set; } = (20, 200);

    /// <summary>Batch sizes to choose from. Default 8, 16 and 32.</summary>
    public int[] BatchSizes { get; set; } = [8, 16, 32];

    /// <summary>Most input tokens to choose from. Default 64 and 96.</summary>
    public int[] MaxInputLengths { get; set; } = [64, 96];

    /// <summary>Most target tokens to choose from. Default 32.</summary>
    public int[] MaxTargetLengths { get; set; } = [32];

    /// <summary>Draws one trial's settings.</summary>
    public SweepTrialSettings Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Validate();
        T Pick<T>(T[] items) => items[random.Next(items.Length)];
        double LogUniform(double min, double max) => Math.Exp(Math.Log(min) + random.NextDouble() * (Math.Log(max) - Math.Log(min)));
        var method = Pick(Methods);
        var student = Pick(Students);
        var alpha = TrainingMethods.Mode(method) == TrainingMode.StepByStep ? (float)Math.Round(Alpha.Min + random.NextDouble() * (Alpha.Max - Alpha.Min), 2) : 1f;
        var learningRate = LogUniform(LearningRate.Min, LearningRate.Max);
        var steps = (int)Math.Round(LogUniform(Steps.Min, Steps.Max));
        return new SweepTrialSettings(method, student, alpha, double.Parse(learningRate.ToString("G2", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture),
            steps, Pick(BatchSizes), Pick(MaxInputLengths), Pick(MaxTargetLengths));
    }

    /// <summary>Checks every range and list.</summary>
    /// <exception cref="ArgumentException">An empty list or a range out of order or out of bounds; the message names it.</exception>
    public void Validate()
    {
        void Require(bool ok, string name, string problem)
        {
            if (!ok)
            {
                throw new ArgumentException($"SweepSearchSpace.{name} {problem}", name);
            }
        }

        Require(Methods is { Length: > 0 }, nameof(Methods), "must list at least one method.");
        Require(Students is { Length: > 0 } && Students.All(s => !string.IsNullOrWhiteSpace(s)), nameof(Students), "must list at least one student (a preset or a checkpoint folder).");
        Require(Alpha.Min is >= 0 and <= 1 && Alpha.Max is >= 0 and <= 1 && Alpha.Min <= Alpha.Max, nameof(Alpha), "must be a range inside [0, 1] with Min <= Max.");
        Require(LearningRate.Min > 0 && LearningRate.Min <= LearningRate.Max, nameof(LearningRate), "must be a positive range with Min <= Max.");
        Require(Steps.Min > 0 && Steps.Min <= Steps.Max, nameof(Steps), "must be a positive range with Min <= Max.");
        Require(BatchSizes is { Length: > 0 } && BatchSizes.All(b => b > 0), nameof(BatchSizes), "must list positive batch sizes.");
        Require(MaxInputLengths is { Length: > 0 } && MaxInputLengths.All(b => b > 0), nameof(MaxInputLengths), "must list positive lengths.");
        Require(MaxTargetLengths is { Length: > 0 } && MaxTargetLengths.All(b => b > 0), nameof(MaxTargetLengths), "must list positive lengths.");
    }
}

/// <summary>One trial's settings, drawn from a <see cref="SweepSearchSpace"/>.</summary>
/// <param name="Method">The method.</param>
/// <param name="Student">The student preset or checkpoint folder.</param>
/// <param name="Alpha">The label-loss weight (1 for methods without a rationale task).</param>
/// <param name="LearningRate">The base learning rate (two significant digits).</param>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="BatchSize">Rows per step.</param>
/// <param name="MaxInputLength">Most input tokens.</param>
/// <param name="MaxTargetLength">Most target tokens.</param>
public sealed record SweepTrialSettings(
    TrainingMethod Method, string Student, float Alpha, double LearningRate, int Steps, int BatchSize, int MaxInputLength, int MaxTargetLength);
