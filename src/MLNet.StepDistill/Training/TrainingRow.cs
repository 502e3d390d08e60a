namespace MLNet.StepDistill.Training;

/// <summary>One training row after the label source and annotation status are applied.</summary>
/// <param name="Input">The task input text (no prefix).</param>
/// <param name="Label">The label the student learns, or null when this row has none (it then trains no label task).</param>
/// <param name="Rationale">The rationale, or null when the annotation is not usable (it then trains no rationale task).</param>
/// <param name="Choices">The row's answer choices (multiple-choice), otherwise empty.</param>
internal sealed record TrainingRow(string Input, string? Label, string? Rationale, IReadOnlyList<string> Choices);
