using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The annotator's output: every column of the input view, then the rationale, teacher-label and status text columns,
/// read from annotations made once, up front. Cursors may be opened any number of times and in parallel; they read the
/// input view again and check, row by row, that its ids are those that were annotated, so the rows are the same every time.
/// </summary>
internal sealed class AnnotatedDataView : IDataView
{
    private readonly IDataView input;
    private readonly RowAnnotation[] rows;
    private readonly bool[] keep;
    private readonly DataViewSchema.Column idColumn;
    private readonly int inputColumns;
    private readonly long kept;

    public AnnotatedDataView(IDataView input, string idColumn, RowAnnotation[] rows, bool[] keep, RationaleAnnotatorOptions options)
    {
        this.input = input;
        this.rows = rows;
        this.keep = keep;
        this.idColumn = input.Schema[idColumn];
        inputColumns = input.Schema.Count;
        kept = keep.LongCount(k => k);
        Schema = BuildSchema(input.Schema, options);
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    /// <summary>The input schema followed by the three annotation text columns.</summary>
    public static DataViewSchema BuildSchema(DataViewSchema input, RationaleAnnotatorOptions options)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(options.RationaleColumnName, TextDataViewType.Instance);
        builder.AddColumn(options.TeacherLabelColumnName, TextDataViewType.Instance);
        builder.AddColumn(options.StatusColumnName, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    public long? GetRowCount() => kept;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var inputNeeded = needed.Where(i => i < inputColumns).Select(i => input.Schema[i]).Append(idColumn).Distinct();
        return new Cursor(this, input.GetRowCursor(inputNeeded), needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly AnnotatedDataView parent;
        private readonly DataViewRowCursor input;
        private readonly HashSet<int> active;
        private readonly ValueGetter<ReadOnlyMemory<char>> getId;
        private long inputRow = -1;
        private long position = -1;
        private ReadOnlyMemory<char> id;

        public Cursor(AnnotatedDataView parent, DataViewRowCursor input, HashSet<int> active)
        {
            this.parent = parent;
            this.input = input;
            this.active = active;
            getId = input.GetGetter<ReadOnlyMemory<char>>(parent.idColumn);
        }

        public override DataViewSchema Schema => parent.Schema;

        public override long Position => position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            while (input.MoveNext())
            {
                inputRow++;
                getId(ref id);
                if (inputRow >= parent.rows.Length || !id.Span.SequenceEqual(parent.rows[inputRow].Id))
                {
                    throw new InvalidOperationException(
                        $"The input data changed since it was annotated: row {inputRow} has id '{id}', annotated was "
                        + (inputRow < parent.rows.Length ? $"'{parent.rows[inputRow].Id}'" : $"only {parent.rows.Length} rows") + ". Annotate it again.");
                }
                if (parent.keep[inputRow])
                {
                    position++;
                    return true;
                }
            }
            if (inputRow + 1 != parent.rows.Length)
            {
                throw new InvalidOperationException($"The input data changed since it was annotated: it has {inputRow + 1} rows, annotated were {parent.rows.Length}. Annotate it again.");
            }
            return false;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < parent.inputColumns ? input.IsColumnActive(input.Schema[column.Index]) : active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < parent.inputColumns)
            {
                return input.GetGetter<TValue>(input.Schema[column.Index]);
            }
            if (!active.Contains(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was opened.");
            }
            if (typeof(TValue) != typeof(ReadOnlyMemory<char>))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is text (ReadOnlyMemory<char>), not {typeof(TValue).Name}.");
            }
            Func<RowAnnotation, string> pick = (column.Index - parent.inputColumns) switch
            {
                0 => r => r.Rationale,
                1 => r => r.TeacherLabel,
                _ => r => r.Status,
            };
            ValueGetter<ReadOnlyMemory<char>> getter = (ref ReadOnlyMemory<char> value) =>
            {
                if (position < 0)
                {
                    throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
                }
                value = pick(parent.rows[inputRow]).AsMemory();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
