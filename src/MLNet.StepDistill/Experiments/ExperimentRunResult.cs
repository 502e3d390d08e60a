using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>One trained and scored student of a <see cref="StepByStepExperiment"/> (one row of <c>results.json</c>).</summary>
/// <param name="Method">The method's name (<see cref="TrainingMethods.Name"/>).</param>
/// <param name="LabelSource">Where the label task's labels came from: <c>"gold"</c> or <c>"teacher"</c>.</param>
/// <param name="Fraction">The share of the pool trained on.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="TrainRows">Training rows.</param>
/// <param name="Steps">Optimiser steps made.</param>
/// <param name="TestRows">Test rows scored.</param>
/// <param name="Correct">Test rows answered right.</param>
/// <param name="Accuracy">Correct / test rows (equation accuracy for math).</param>
/// <param name="AccuracyLow">The lower end of the 95% Wilson interval of the accuracy.</param>
/// <param name="AccuracyHigh">The upper end of the 95% Wilson interval.</param>
/// <param name="MacroAccuracy">Mean per-class accuracy (classification and multiple-choice), else null.</param>
/// <param name="LogLoss">Mean negative log-probability of the right class (classification and multiple-choice), else null.</param>
/// <param name="FirstLoss">The first step's training loss.</param>
/// <param name="FinalLoss">The last step's training loss (null when it was not finite).</param>
/// <param name="TrainSeconds">Wall time of training.</param>
/// <param name="EvaluationSeconds">Wall time of scoring the test rows.</param>
public sealed record ExperimentRunResult(
    string Method,
    string LabelSource,
    double Fraction,
    int Seed,
    int TrainRows,
    int Steps,
    int TestRows,
    int Correct,
    double Accuracy,
    double AccuracyLow,
    double AccuracyHigh,
    double? MacroAccuracy,
    double? LogLoss,
    double? FirstLoss,
    double? FinalLoss,
    double TrainSeconds,
    double EvaluationSeconds)
{
    /// <summary>Test rows scored per second: the student's inference speed on this machine, measured in this run.</summary>
    public double InferenceRowsPerSecond => EvaluationSeconds > 0 ? TestRows / EvaluationSeconds : 0;

    /// <summary>Training and scoring wall time.</summary>
    public double Seconds => TrainSeconds + EvaluationSeconds;

    /// <summary>Whether this result is the run of <paramref name="method"/> at <paramref name="fraction"/> with <paramref name="seed"/>.</summary>
    public bool IsRun(TrainingMethod method, double fraction, int seed) =>
        Method == TrainingMethods.Name(method) && Math.Abs(Fraction - fraction) < 1e-9 && Seed == seed;
}
