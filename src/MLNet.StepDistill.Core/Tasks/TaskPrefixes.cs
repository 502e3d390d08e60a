namespace MLNet.StepDistill.Tasks;

/// <summary>The multi-task prefixes of Distilling Step-by-Step: one student learns both tasks, told apart by the prefix.</summary>
public static class TaskPrefixes
{
    /// <summary>The label task: <c>"predict: " + input</c> -> label.</summary>
    public const string Predict = "predict: ";

    /// <summary>The rationale task: <c>"explain: " + input</c> -> rationale.</summary>
    public const string Explain = "explain: ";
}
