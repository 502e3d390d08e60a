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
    private readonly IDataView _input;
    private readonly RowAnnotation[] _rows;
    private readonly bool[] _keep;
    private readonly DataViewSchema.Column _idColumn;
    private readonly int _inputColumns;
    private readonly long _kept;

    public AnnotatedDataView(IDataView input, string idColumn, RowAnnotation[] rows, bool[] keep, RationaleAnnotatorOptions options)
    {
        _input = input;
        _rows = rows;
        _keep = keep;
        _idColumn = input.Schema[idColumn];
        _inputColumns = input.Schema.Count;
        _kept = keep.LongCount(k => k);
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

    public long? GetRowCount() => _kept;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        var inputNeeded = needed.Where(i => i < _inputColumns).Select(i => _input.Schema[i]).Append(_idColumn).Distinct();
        return new Cursor(this, _input.GetRowCursor(inputNeeded), needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly AnnotatedDataView _parent;
        private readonly DataViewRowCursor _input;
        private readonly HashSet<int> _active;
        private readonly ValueGetter<ReadOnlyMemory<char>> _getId;
        private long _inputRow = -1;
        private long _position = -1;
        private ReadOnlyMemory<char> _id;

        public Cursor(AnnotatedDataView parent, DataViewRowCursor input, HashSet<int> active)
        {
            _parent = parent;
            _input = input;
            _active = active;
            _getId = input.GetGetter<ReadOnlyMemory<char>>(parent._idColumn);
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            while (_input.MoveNext())
            {
                _inputRow++;
                _getId(ref _id);
                if (_inputRow >= _parent._rows.Length || !_id.Span.SequenceEqual(_parent._rows[_inputRow].Id))
                {
                    throw new InvalidOperationException(
                        $"The input data changed since it was annotated: row {_inputRow} has id '{_id}', annotated was "
                        + (_inputRow < _parent._rows.Length ? $"'{_parent._rows[_inputRow].Id}'" : $"only {_parent._rows.Length} rows") + ". Annotate it again.");
                }
                if (_parent._keep[_inputRow])
                {
                    _position++;
                    return true;
                }
            }
            if (_inputRow + 1 != _parent._rows.Length)
            {
                throw new InvalidOperationException($"The input data changed since it was annotated: it has {_inputRow + 1} rows, annotated were {_parent._rows.Length}. Annotate it again.");
            }
            return false;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent._inputColumns ? _input.IsColumnActive(_input.Schema[column.Index]) : _active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _parent._inputColumns)
            {
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            }
            if (!_active.Contains(column.Index))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not asked for when the cursor was opened.");
            }
            if (typeof(TValue) != typeof(ReadOnlyMemory<char>))
            {
                throw new InvalidOperationException($"Column '{column.Name}' is text (ReadOnlyMemory<char>), not {typeof(TValue).Name}.");
            }
            Func<RowAnnotation, string> pick = (column.Index - _parent._inputColumns) switch
            {
                0 => r => r.Rationale,
                1 => r => r.TeacherLabel,
                _ => r => r.Status,
            };
            ValueGetter<ReadOnlyMemory<char>> getter = (ref ReadOnlyMemory<char> value) =>
            {
                if (_position < 0)
                {
                    throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");
                }
                value = pick(_parent._rows[_inputRow]).AsMemory();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _input.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
