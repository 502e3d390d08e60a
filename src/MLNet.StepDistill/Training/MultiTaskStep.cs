using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The student step of Distilling Step-by-Step, for one (micro-)batch of rows: a label batch and a rationale batch, two
/// losses, one weighted sum. Standard mode is the label batch alone; single-task mode is one batch whose target is
/// <c>"rationale So the answer is label"</c>.
/// </summary>
internal static class MultiTaskStep
{
    /// <summary>The step's loss (with grad) and its parts as numbers.</summary>
    public static (Tensor Loss, double? LabelLoss, double? RationaleLoss) Loss(
        ISeq2SeqStudent student, IReadOnlyList<TrainingRow> rows, TrainingMode mode, float alpha)
    {
        if (mode == TrainingMode.SingleTask)
        {
            var joined = rows.Where(r => r.Label is not null && r.Rationale is not null).ToArray();
            var single = student.Loss(
                joined.Select(r => r.Input).ToArray(),
                joined.Select(r => SingleTaskTarget(r.Rationale!, r.Label!)).ToArray());
            return (single, single.item<float>(), null);
        }

        var labelWeight = mode == TrainingMode.Standard ? 1f : alpha;
        var labelRows = labelWeight > 0 ? rows.Where(r => r.Label is not null).ToArray() : [];
        var rationaleRows = labelWeight < 1 ? rows.Where(r => r.Rationale is not null).ToArray() : [];

        // Two batches, two losses, one weighted sum.
        var labelLoss = labelRows.Length > 0
            ? student.Loss(labelRows.Select(r => TaskPrefixes.Predict + r.Input).ToArray(), labelRows.Select(r => r.Label!).ToArray())
            : null;
        var rationaleLoss = rationaleRows.Length > 0
            ? student.Loss(rationaleRows.Select(r => TaskPrefixes.Explain + r.Input).ToArray(), rationaleRows.Select(r => r.Rationale!).ToArray())
            : null;
        // The weights as Scalars held for the step: one made implicitly can be finalized by the GC while libtorch reads it.
        using var labelScale = labelWeight.ToScalar();
        using var rationaleScale = (1 - labelWeight).ToScalar();
        var loss = (labelLoss, rationaleLoss) switch
        {
            ({ } l, { } r) => labelScale * l + rationaleScale * r,
            ({ } l, null) => labelScale * l,
            (null, { } r) => rationaleScale * r,
            _ => throw new InvalidOperationException("A batch had neither a label nor a rationale to learn."),
        };
        return (loss, labelLoss?.item<float>(), rationaleLoss?.item<float>());
    }

    /// <summary>The single-task target: the rationale, the answer marker, the label.</summary>
    public static string SingleTaskTarget(string rationale, string label) => SingleTaskFormat.Join(rationale, label);

    /// <summary>Whether a row gives this mode anything to learn.</summary>
    public static bool Teaches(TrainingRow row, TrainingMode mode, float alpha) => mode switch
    {
        TrainingMode.Standard => row.Label is not null,
        TrainingMode.SingleTask => row.Label is not null && row.Rationale is not null,
        _ => (alpha > 0 && row.Label is not null) || (alpha < 1 && row.Rationale is not null),
    };
}
