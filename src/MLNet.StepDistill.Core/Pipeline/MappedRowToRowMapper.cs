using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// A <see cref="RowMapping{TIn, TOut}"/> one row at a time, as <c>PredictionEngine</c> and ML.NET's chains use it: the
/// appended values are computed once per input position, when first read.
/// </summary>
internal sealed class MappedRowToRowMapper<TIn, TOut> : IRowToRowMapper
{
    private readonly RowMapping<TIn, TOut> mapping;
    private readonly BoundInput<TIn> bound;

    public MappedRowToRowMapper(RowMapping<TIn, TOut> mapping, DataViewSchema inputSchema)
    {
        this.mapping = mapping;
        bound = mapping.Bind(inputSchema);
        InputSchema = inputSchema;
        OutputSchema = mapping.OutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var columns = dependingColumns.ToArray();
        var passThrough = columns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]);
        return columns.Any(c => c.Index >= InputSchema.Count)
            ? passThrough.Concat(bound.Columns).DistinctBy(c => c.Index).ToArray()
            : passThrough.ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    private sealed class MappedRow : DataViewRow
    {
        private readonly MappedRowToRowMapper<TIn, TOut> owner;
        private readonly DataViewRow input;
        private readonly HashSet<int> active;
        private readonly Func<TIn>? read;
        private long position = -1;
        private TOut? current;

        public MappedRow(MappedRowToRowMapper<TIn, TOut> owner, DataViewRow input, HashSet<int> active)
        {
            this.owner = owner;
            this.input = input;
            this.active = active;
            if (active.Any(i => i >= owner.InputSchema.Count))
            {
                owner.mapping.EnsureUsable();
                read = owner.bound.Reader(input);
            }
        }

        public override DataViewSchema Schema => owner.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < owner.InputSchema.Count ? input.IsColumnActive(owner.InputSchema[column.Index]) : active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < owner.InputSchema.Count)
            {
                return input.GetGetter<TValue>(owner.InputSchema[column.Index]);
            }

            if (read is null || !active.Contains(column.Index))
            {
                throw new InvalidOperationException($"Column \"{column.Name}\" was not asked for when this row was made.");
            }

            return owner.mapping.Outputs[column.Index - owner.InputSchema.Count].MakeGetter<TValue>(Current);
        }

        private TOut Current()
        {
            if (position != input.Position || current is null)
            {
                owner.mapping.EnsureUsable();
                current = owner.mapping.Map([read!()])[0];
                position = input.Position;
            }

            return current;
        }
    }
}
