namespace MLNet.StepDistill.Training;

/// <summary>The single-task ablation's output format: <c>"rationale So the answer is label"</c>.</summary>
internal static class SingleTaskFormat
{
    /// <summary>What joins rationale and label.</summary>
    public const string AnswerMarker = " So the answer is ";
}
