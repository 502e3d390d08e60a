using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// A cursor of <see cref="MappedDataView{TIn, TOut}"/> that reads a batch of rows ahead on its one input cursor, keeping
/// the rows' pass-through values, ids, positions and batch numbers in buffers, and maps the batch at once. It serves
/// shuffled cursors and each cursor of a cursor set (whose rows no second cursor can repeat); the cursors of a set map
/// their batches concurrently.
/// </summary>
internal sealed class BufferedMappedCursor<TIn, TOut> : DataViewRowCursor
{
    private readonly RowMapping<TIn, TOut> mapping;
    private readonly DataViewRowCursor input;
    private readonly Func<TIn> readInput;
    private readonly bool[] activeOutputs;
    private readonly int batchSize;
    private readonly int inputCount;
    private readonly Dictionary<int, ColumnBuffer> passThrough;
    private readonly ValueGetter<DataViewRowId> readId;
    private readonly DataViewRowId[] ids;
    private readonly long[] batches;
    private readonly List<TIn> inputs;
    private IReadOnlyList<TOut> mapped = [];
    private int slot = -1;
    private long position = -1;

    public BufferedMappedCursor(
        DataViewSchema schema, RowMapping<TIn, TOut> mapping, DataViewRowCursor input, BoundInput<TIn> bound,
        IEnumerable<DataViewSchema.Column> passThroughColumns, bool[] activeOutputs, int batchSize)
    {
        Schema = schema;
        this.mapping = mapping;
        this.input = input;
        this.activeOutputs = activeOutputs;
        this.batchSize = Math.Max(1, batchSize);
        inputCount = input.Schema.Count;
        readInput = bound.Reader(input);
        passThrough = passThroughColumns.DistinctBy(c => c.Index).ToDictionary(c => c.Index, c => ColumnBuffer.For(input, input.Schema[c.Index], this.batchSize));
        readId = input.GetIdGetter();
        ids = new DataViewRowId[this.batchSize];
        batches = new long[this.batchSize];
        inputs = new List<TIn>(this.batchSize);
    }

    public override DataViewSchema Schema { get; }

    public override long Position => position;

    public override long Batch => slot >= 0 && slot < mapped.Count ? batches[slot] : 0;

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = ids[OnRow()];

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index < inputCount ? passThrough.ContainsKey(column.Index) : activeOutputs[column.Index - inputCount];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < inputCount)
        {
            return passThrough.TryGetValue(column.Index, out var buffer)
                ? buffer.Getter<TValue>(OnRow)
                : throw new InvalidOperationException($"Column \"{column.Name}\" was not asked for when this cursor was opened.");
        }

        var k = column.Index - inputCount;
        if (!activeOutputs[k])
        {
            throw new InvalidOperationException($"Column \"{column.Name}\" was not asked for when this cursor was opened.");
        }

        return mapping.Outputs[k].MakeGetter<TValue>(() => mapped[OnRow()]);
    }

    public override bool MoveNext()
    {
        if (slot + 1 >= mapped.Count && !ReadBatch())
        {
            slot = mapped.Count;
            return false;
        }

        slot++;
        position++;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            input.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool ReadBatch()
    {
        inputs.Clear();
        while (inputs.Count < batchSize && input.MoveNext())
        {
            var at = inputs.Count;
            inputs.Add(readInput());
            foreach (var buffer in passThrough.Values)
            {
                buffer.Read(at);
            }

            readId(ref ids[at]);
            batches[at] = input.Batch;
        }

        if (inputs.Count == 0)
        {
            mapped = [];
            return false;
        }

        mapped = mapping.Map(inputs);
        slot = -1;
        return true;
    }

    private int OnRow() => slot >= 0 && slot < mapped.Count
        ? slot
        : throw new InvalidOperationException("The cursor is not on a row.");
}
