namespace MLNet.StepDistill.Experiments;

/// <summary>One row of an experiment's result table: a model (a trained student or a baseline) and its test scores.</summary>
/// <param name="Model">What was evaluated: <c>"step-by-step"</c>, <c>"standard"</c>, <c>"single-task"</c> or <c>"majority class"</c>.</param>
/// <param name="LabelSource">Where the training labels came from: <c>"teacher"</c> or <c>"gold"</c>.</param>
/// <param name="Steps">Optimiser steps made (0 for a baseline).</param>
/// <param name="TrainRows">Training rows the model saw.</param>
/// <param name="TestRows">Test rows evaluated.</param>
/// <param name="Accuracy">Share of test rows answered right (equation accuracy for math).</param>
/// <param name="MacroAccuracy">Mean per-class accuracy (classification and multiple-choice), else null.</param>
/// <param name="LogLoss">Mean negative log-probability of the right class (classification and multiple-choice), else null.</param>
/// <param name="FirstLoss">The training loss of the first step (null for a baseline).</param>
/// <param name="FinalLoss">The training loss of the last step (null for a baseline).</param>
/// <param name="Seconds">Wall time of training and evaluation.</param>
public sealed record ExperimentResult(
    string Model,
    string LabelSource,
    int Steps,
    int TrainRows,
    int TestRows,
    double Accuracy,
    double? MacroAccuracy,
    double? LogLoss,
    double? FirstLoss,
    double? FinalLoss,
    double Seconds);
