namespace MLNet.StepDistill.Tasks;

/// <summary>
/// How task rows are read (<see cref="TaskDataset.Open(string, TaskReadOptions?)"/>, <see cref="TaskDataset.ReadFile"/>,
/// <see cref="TaskDataset.ReadDataFrame"/>, <see cref="TaskExampleReader.Read"/>): what happens to a row whose gold
/// label is outside the label set.
/// </summary>
/// <remarks>
/// Gold labels are always checked as rows are read, and written in the label set's own spelling: a target that equals a
/// label of <see cref="TaskSchema.Labels"/> (multiple-choice: one of the row's choices) once both are normalised as
/// <see cref="AnswerComparer.Normalize"/> does (case, spaces, a trailing full stop ignored) becomes that label, so every
/// later stage (the key map, training, evaluation) sees the canonical label. An empty target is an unlabelled row and is
/// kept as it is; math targets (equations) are not checked.
/// </remarks>
public sealed class TaskReadOptions
{
    /// <summary>
    /// Skip rows whose gold label is outside the label set (multiple-choice: none of the row's choices) instead of failing;
    /// <see cref="TaskRows.DroppedRows"/> lists them. Default false: such a row is a <see cref="DatasetFormatException"/>
    /// naming the file, the line (or row) and the value.
    /// </summary>
    public bool DropUnknownLabels { get; set; }
}
