namespace MLNet.StepDistill.Evaluation;

/// <summary>Accuracy of generated answers (open targets such as SVAMP equations).</summary>
/// <param name="Count">Rows with a gold answer.</param>
/// <param name="ExactMatchAccuracy">Share of rows whose prediction equals the gold text (whitespace collapsed, case ignored).</param>
/// <param name="EquationAccuracy">Share of rows whose prediction evaluates to the gold expression's value; null when not asked for.</param>
public sealed record GeneratedTextMetrics(int Count, double ExactMatchAccuracy, double? EquationAccuracy)
{
    /// <summary>The headline accuracy: equation accuracy when measured, else exact match.</summary>
    public double Accuracy => EquationAccuracy ?? ExactMatchAccuracy;
}
