using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// The input rows with a <see cref="RowMapping{TIn, TOut}"/>'s columns appended. Nothing is computed until a cursor asks
/// for an appended column; then each cursor maps <see cref="RowMapping{TIn, TOut}.BatchSize"/> rows at a time.
/// </summary>
internal sealed class MappedDataView<TIn, TOut> : IDataView
{
    private readonly RowMapping<TIn, TOut> mapping;
    private readonly IDataView input;
    private readonly BoundInput<TIn> bound;

    public MappedDataView(RowMapping<TIn, TOut> mapping, IDataView input)
    {
        this.mapping = mapping;
        this.input = input;
        bound = mapping.Bind(input.Schema);
        Schema = mapping.OutputSchema(input.Schema);
    }

    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var active = ActiveOutputs(columnsNeeded);
        var passThrough = PassThrough(columnsNeeded);
        if (!active.Any(a => a))
        {
            return new MappedCursor<TIn, TOut>(Schema, mapping, input.GetRowCursor(passThrough, rand), null, bound, active, batchSize: 1);
        }

        mapping.EnsureUsable();

        var batchSize = Math.Max(1, mapping.BatchSize);
        if (batchSize == 1)
        {
            var main = input.GetRowCursor(WithBound(passThrough), rand);
            return new MappedCursor<TIn, TOut>(Schema, mapping, main, null, bound, active, batchSize);
        }

        // A shuffled cursor cannot be repeated by a second cursor: it keeps each batch's pass-through values itself.
        if (rand is not null)
        {
            var shuffled = input.GetRowCursor(WithBound(passThrough), rand);
            return new BufferedMappedCursor<TIn, TOut>(Schema, mapping, shuffled, bound, passThrough, active, batchSize);
        }

        // Batches read their inputs ahead on a second cursor over the same rows (cursors without a random source give the
        // rows in the same order), so the main cursor serves the pass-through columns without copying them.
        var ahead = input.GetRowCursor(bound.Columns);
        return new MappedCursor<TIn, TOut>(Schema, mapping, input.GetRowCursor(passThrough), ahead, bound, active, batchSize);
    }

    /// <summary>
    /// Up to <paramref name="n"/> cursors over disjoint parts of the rows (as the input splits them), each mapping its own
    /// batches; the consumer may move them on different threads, and their batches are then mapped concurrently.
    /// </summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var active = ActiveOutputs(columnsNeeded);
        if (n <= 1 || !active.Any(a => a))
        {
            return [GetRowCursor(columnsNeeded, rand)];
        }

        mapping.EnsureUsable();
        var passThrough = PassThrough(columnsNeeded);
        var parts = input.GetRowCursorSet(WithBound(passThrough), n, rand);
        return parts
            .Select(part => (DataViewRowCursor)new BufferedMappedCursor<TIn, TOut>(Schema, mapping, part, bound, passThrough, active, mapping.BatchSize))
            .ToArray();
    }

    /// <summary>The input's columns among <paramref name="columnsNeeded"/>: those a cursor passes through.</summary>
    private DataViewSchema.Column[] PassThrough(IEnumerable<DataViewSchema.Column> columnsNeeded) =>
        columnsNeeded.Where(c => c.Index < input.Schema.Count).Select(c => input.Schema[c.Index]).ToArray();

    /// <summary>The pass-through columns and the ones the mapping reads, each once.</summary>
    private IEnumerable<DataViewSchema.Column> WithBound(IEnumerable<DataViewSchema.Column> passThrough) =>
        passThrough.Concat(bound.Columns).DistinctBy(c => c.Index);

    private bool[] ActiveOutputs(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var active = new bool[mapping.Outputs.Count];
        foreach (var column in columnsNeeded)
        {
            var k = column.Index - input.Schema.Count;
            if (k >= 0 && k < active.Length)
            {
                active[k] = true;
            }
        }

        return active;
    }
}

/// <summary>A cursor of <see cref="MappedDataView{TIn, TOut}"/>: the input cursor's columns plus the mapped ones.</summary>
internal sealed class MappedCursor<TIn, TOut> : DataViewRowCursor
{
    private readonly RowMapping<TIn, TOut> mapping;
    private readonly DataViewRowCursor main;
    private readonly DataViewRowCursor? ahead;
    private readonly Func<TIn>? readMain;
    private readonly Func<TIn>? readAhead;
    private readonly bool[] activeOutputs;
    private readonly int batchSize;
    private readonly int inputCount;
    private IReadOnlyList<TOut> batch = [];
    private int inBatch;
    private TOut? current;
    private bool hasCurrent;

    public MappedCursor(
        DataViewSchema schema, RowMapping<TIn, TOut> mapping, DataViewRowCursor main, DataViewRowCursor? ahead,
        BoundInput<TIn> bound, bool[] activeOutputs, int batchSize)
    {
        Schema = schema;
        this.mapping = mapping;
        this.main = main;
        this.ahead = ahead;
        this.activeOutputs = activeOutputs;
        this.batchSize = batchSize;
        inputCount = main.Schema.Count;
        if (activeOutputs.Any(a => a))
        {
            if (ahead is null)
            {
                readMain = bound.Reader(main);
            }
            else
            {
                readAhead = bound.Reader(ahead);
            }
        }
    }

    public override DataViewSchema Schema { get; }

    public override long Position => main.Position;

    public override long Batch => main.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index < inputCount ? main.IsColumnActive(main.Schema[column.Index]) : activeOutputs[column.Index - inputCount];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < inputCount)
        {
            return main.GetGetter<TValue>(main.Schema[column.Index]);
        }

        var k = column.Index - inputCount;
        if (!activeOutputs[k])
        {
            throw new InvalidOperationException($"Column \"{column.Name}\" was not asked for when this cursor was opened.");
        }

        return mapping.Outputs[k].MakeGetter<TValue>(Current);
    }

    public override bool MoveNext()
    {
        hasCurrent = false;
        if (!main.MoveNext())
        {
            return false;
        }

        if (readAhead is not null && inBatch >= batch.Count)
        {
            var inputs = new List<TIn>(batchSize);
            while (inputs.Count < batchSize && ahead!.MoveNext())
            {
                inputs.Add(readAhead());
            }

            batch = inputs.Count == 0 ? [] : mapping.Map(inputs);
            inBatch = 0;
        }

        if (readAhead is not null)
        {
            current = inBatch < batch.Count
                ? batch[inBatch++]
                : throw new InvalidOperationException("The input gave fewer rows to the read-ahead cursor than to the main cursor; its cursors must give the same rows.");
            hasCurrent = true;
        }

        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            main.Dispose();
            ahead?.Dispose();
        }

        base.Dispose(disposing);
    }

    private TOut Current()
    {
        if (!hasCurrent)
        {
            if (readMain is null)
            {
                throw new InvalidOperationException("The cursor is not on a row.");
            }

            current = mapping.Map([readMain()])[0];
            hasCurrent = true;
        }

        return current!;
    }
}
