using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary><c>mlContext.StepDistill().CreateSweep(...)</c>: the entry point of <see cref="StudentSweep"/>.</summary>
public static class SweepCatalogExtensions
{
    /// <summary>
    /// A sweep over students for <paramref name="dataset"/>'s task, trained on <paramref name="train"/> (annotated rows, e.g.
    /// <c>AnnotatedSplit.Read(dataset, "train")</c>), with the budget, search space, validation and metric of
    /// <paramref name="options"/> (null: the defaults); then <c>Run()</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two training rows, or an option is out of range (the message names it).</exception>
    public static StudentSweep CreateSweep(this StepDistillCatalog catalog, TaskDataset dataset, IReadOnlyList<AnnotatedRow> train, StudentSweepOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new StudentSweep(catalog.MLContext, dataset, train, options ?? new StudentSweepOptions());
    }
}
