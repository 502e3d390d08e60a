using System.Collections;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The rows a reader returned (an <see cref="IReadOnlyList{T}"/> of <see cref="TaskExample"/>, in source order), and the
/// rows it skipped because their gold label is outside the label set (<see cref="TaskReadOptions.DropUnknownLabels"/>).
/// </summary>
public sealed class TaskRows : IReadOnlyList<TaskExample>
{
    private readonly IReadOnlyList<TaskExample> rows;

    internal TaskRows(IReadOnlyList<TaskExample> rows, IReadOnlyList<DroppedTaskRow> droppedRows)
    {
        this.rows = rows;
        DroppedRows = droppedRows;
    }

    /// <summary>The rows skipped for a gold label outside the label set, in source order; empty unless <see cref="TaskReadOptions.DropUnknownLabels"/> is set.</summary>
    public IReadOnlyList<DroppedTaskRow> DroppedRows { get; }

    /// <inheritdoc/>
    public int Count => rows.Count;

    /// <inheritdoc/>
    public TaskExample this[int index] => rows[index];

    /// <inheritdoc/>
    public IEnumerator<TaskExample> GetEnumerator() => rows.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A row skipped because its gold label is outside the label set (<see cref="TaskReadOptions.DropUnknownLabels"/>).</summary>
/// <param name="Source">The file (or <c>DataFrame</c>, <c>IDataView</c>) it came from.</param>
/// <param name="Line">Its 1-based line (CSV: the line its record starts on; DataFrame and IDataView: its 1-based row).</param>
/// <param name="Id">The row's id.</param>
/// <param name="Label">The gold label as written.</param>
public sealed record DroppedTaskRow(string Source, long Line, string Id, string Label);
