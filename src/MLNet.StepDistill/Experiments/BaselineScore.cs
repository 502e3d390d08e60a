namespace MLNet.StepDistill.Experiments;

/// <summary>The majority-class baseline's test scores: the floor every student of an experiment is compared with.</summary>
/// <param name="TrainRows">Training rows whose labels the baseline counted.</param>
/// <param name="TestRows">Test rows evaluated.</param>
/// <param name="Accuracy">Share of test rows answered right (equation accuracy for math).</param>
/// <param name="MacroAccuracy">Mean per-class accuracy (classification and multiple-choice), else null.</param>
/// <param name="LogLoss">Mean negative log-probability of the right class under the training label prior (classification and multiple-choice), else null.</param>
public sealed record BaselineScore(int TrainRows, int TestRows, double Accuracy, double? MacroAccuracy, double? LogLoss);
