using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary><c>mlContext.StepDistill().CreateSweep(...)</c>: the entry point of <see cref="StudentSweep"/>.</summary>
public static class SweepCatalogExtensions
{
    /// <summary>
    /// A sweep over students for <paramref name="dataset"/>'s task, trained on <paramref name="train"/> (annotated rows, e.g.
    /// <c>AnnotatedSplit.Read(dataset, "train")</c>); set the budget, search space, validation and metric, then <c>Run()</c>.
    /// </summary>
    public static StudentSweep CreateSweep(this StepDistillCatalog catalog, TaskDataset dataset, IReadOnlyList<AnnotatedRow> train)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentSweep(catalog.MLContext, dataset, train);
    }
}
