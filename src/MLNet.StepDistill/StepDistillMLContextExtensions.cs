using Microsoft.ML;

namespace MLNet.StepDistill;

/// <summary>Adds <c>mlContext.StepDistill()</c>.</summary>
public static class StepDistillMLContextExtensions
{
    /// <summary>MLNet.StepDistill's catalog on this context (trainer, label keys, evaluators, save/load).</summary>
    public static StepDistillCatalog StepDistill(this MLContext mlContext) => new(mlContext);
}
