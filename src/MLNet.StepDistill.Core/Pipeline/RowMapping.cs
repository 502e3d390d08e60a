using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// How a transformer appends columns to rows: which input columns it reads (as one <typeparamref name="TIn"/> per row), the
/// columns it appends, and the function from a batch of inputs to a batch of outputs. <see cref="Transform"/> and
/// <see cref="GetRowToRowMapper"/> give ML.NET's two views of it: a lazy <see cref="IDataView"/> whose cursors map
/// <see cref="BatchSize"/> rows at a time, and a row-to-row mapper (one row at a time) for <c>PredictionEngine</c>.
/// </summary>
/// <typeparam name="TIn">What the mapping reads of a row.</typeparam>
/// <typeparam name="TOut">What it computes for a row.</typeparam>
internal sealed class RowMapping<TIn, TOut>
{
    /// <summary>Checks an input schema and returns the columns read and a reader of the current row.</summary>
    public required Func<DataViewSchema, BoundInput<TIn>> Bind { get; init; }

    /// <summary>The columns appended, in order.</summary>
    public required IReadOnlyList<OutputColumn<TOut>> Outputs { get; init; }

    /// <summary>Maps a batch of rows (same order, same count).</summary>
    public required Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> Map { get; init; }

    /// <summary>Rows a cursor maps together; 1 maps each row as it is reached.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Called before any row is mapped: throws when the mapping can no longer run (e.g. its model was disposed).</summary>
    public Action EnsureUsable { get; init; } = () => { };

    /// <summary>The input schema with the appended columns after it (an appended column hides an input column of the same name).</summary>
    public DataViewSchema OutputSchema(DataViewSchema inputSchema)
    {
        Bind(inputSchema);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var output in Outputs)
        {
            builder.AddColumn(output.Name, output.Type, output.Annotations);
        }

        return builder.ToSchema();
    }

    /// <summary>The rows of <paramref name="input"/> with the appended columns, computed lazily by each cursor.</summary>
    public IDataView Transform(IDataView input) => new MappedDataView<TIn, TOut>(this, input);

    /// <summary>The mapping one row at a time, for <c>PredictionEngine</c> and ML.NET's chains.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new MappedRowToRowMapper<TIn, TOut>(this, inputSchema);
}

/// <summary>The input columns a <see cref="RowMapping{TIn, TOut}"/> reads and how to read them from a row.</summary>
/// <param name="Columns">The columns read.</param>
/// <param name="Reader">Given a row (or cursor) with those columns active, a function reading its current values.</param>
internal sealed record BoundInput<TIn>(IReadOnlyList<DataViewSchema.Column> Columns, Func<DataViewRow, Func<TIn>> Reader);
