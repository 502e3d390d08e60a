using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// An in-memory <see cref="IDataView"/> over task rows: the id, each input field, the target and the row's own rationale
/// (where the schema names those) as text columns named as in the schema, and the choices (multiple-choice) as a variable-length text vector column
/// (<see cref="TaskSchema.ChoicesColumn"/>). Rows are immutable, so cursors may be opened any number of times,
/// in parallel, and always give the same rows in the same order.
/// </summary>
internal sealed class TaskExampleDataView : IDataView
{
    private readonly IReadOnlyList<TaskExample> rows;
    private readonly Func<TaskExample, string>[] textColumns;
    private readonly int choicesColumn;

    public TaskExampleDataView(IReadOnlyList<TaskExample> rows, TaskSchema schema)
    {
        this.rows = rows;
        var builder = new DataViewSchema.Builder();
        var text = new List<Func<TaskExample, string>>();

        builder.AddColumn(schema.IdField, TextDataViewType.Instance);
        text.Add(e => e.Id);
        for (var i = 0; i < schema.InputFields.Count; i++)
        {
            var index = i;
            builder.AddColumn(schema.InputFields[i], TextDataViewType.Instance);
            text.Add(e => e.Inputs[index]);
        }

        if (schema.TargetField is { } target)
        {
            builder.AddColumn(target, TextDataViewType.Instance);
            text.Add(e => e.Target ?? "");
        }

        if (schema.RationaleField is { } rationale)
        {
            builder.AddColumn(rationale, TextDataViewType.Instance);
            text.Add(e => e.Rationale ?? "");
        }

        choicesColumn = -1;
        if (schema.HasChoices)
        {
            choicesColumn = text.Count;
            builder.AddColumn(schema.ChoicesColumn, new VectorDataViewType(TextDataViewType.Instance));
        }

        textColumns = text.ToArray();
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => rows.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(TaskExampleDataView view, HashSet<int> active) : DataViewRowCursor
    {
        private long position = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override bool MoveNext()
        {
            if (position + 1 >= view.rows.Count)
            {
                position = view.rows.Count;
                return false;
            }

            position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was opened.");
            }

            if (column.Index == view.choicesColumn)
            {
                ValueGetter<VBuffer<ReadOnlyMemory<char>>> choices = (ref VBuffer<ReadOnlyMemory<char>> value) =>
                {
                    var items = Current.Choices;
                    var editor = VBufferEditor.Create(ref value, items.Count);
                    for (var i = 0; i < items.Count; i++)
                    {
                        editor.Values[i] = items[i].AsMemory();
                    }

                    value = editor.Commit();
                };
                return choices as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' is a text vector, not {typeof(TValue).Name}.");
            }

            var read = view.textColumns[column.Index];
            ValueGetter<ReadOnlyMemory<char>> text = (ref ReadOnlyMemory<char> value) => value = read(Current).AsMemory();
            return text as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is text (ReadOnlyMemory<char>), not {typeof(TValue).Name}.");
        }

        private TaskExample Current => position >= 0 && position < view.rows.Count
            ? view.rows[(int)position]
            : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
    }
}
