using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// One column a <see cref="RowMapping{TIn, TOut}"/> appends: its name, type and annotations, and how to read its value
/// from a mapped output row.
/// </summary>
/// <typeparam name="TOut">The mapping's output row.</typeparam>
internal abstract class OutputColumn<TOut>
{
    protected OutputColumn(string name, DataViewType type, DataViewSchema.Annotations? annotations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Type = type;
        Annotations = annotations;
    }

    /// <summary>The column name.</summary>
    public string Name { get; }

    /// <summary>The column type.</summary>
    public DataViewType Type { get; }

    /// <summary>Key values, slot names and the like; null for none.</summary>
    public DataViewSchema.Annotations? Annotations { get; }

    /// <summary>A getter of this column's value for whatever output row <paramref name="current"/> returns.</summary>
    public abstract ValueGetter<TValue> MakeGetter<TValue>(Func<TOut> current);
}

/// <summary>An <see cref="OutputColumn{TOut}"/> whose value type is <typeparamref name="TValue"/>.</summary>
internal sealed class OutputColumn<TOut, TValue> : OutputColumn<TOut>
{
    private readonly Func<TOut, TValue> select;

    public OutputColumn(string name, DataViewType type, Func<TOut, TValue> select, DataViewSchema.Annotations? annotations = null)
        : base(name, type, annotations) => this.select = select;

    public override ValueGetter<T> MakeGetter<T>(Func<TOut> current)
    {
        if (typeof(T) != typeof(TValue))
        {
            throw new InvalidOperationException($"Column \"{Name}\" holds {typeof(TValue).Name} values ({Type}); a getter of {typeof(T).Name} was asked for.");
        }

        ValueGetter<TValue> getter = (ref TValue value) => value = select(current());
        return (ValueGetter<T>)(Delegate)getter;
    }
}

/// <summary>Builders of the column kinds the library appends: text, a float vector with slot names, and a key with key values.</summary>
internal static class OutputColumns
{
    /// <summary>A text column.</summary>
    public static OutputColumn<TOut> Text<TOut>(string name, Func<TOut, string> select, DataViewSchema.Annotations? annotations = null) =>
        new OutputColumn<TOut, ReadOnlyMemory<char>>(name, TextDataViewType.Instance, o => select(o).AsMemory(), annotations);

    /// <summary>A float vector of <paramref name="slotNames"/>.Count slots named by them (ML.NET's Score column).</summary>
    public static OutputColumn<TOut> Scores<TOut>(string name, IReadOnlyList<string> slotNames, Func<TOut, float[]> select)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var names = TextVector(slotNames);
        builder.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, slotNames.Count), (ref VBuffer<ReadOnlyMemory<char>> value) => names.CopyTo(ref value));
        return new OutputColumn<TOut, VBuffer<float>>(
            name, new VectorDataViewType(NumberDataViewType.Single, slotNames.Count), o => new VBuffer<float>(slotNames.Count, select(o)), builder.ToAnnotations());
    }

    /// <summary>A key column over <paramref name="keyValues"/>; <paramref name="select"/> gives a 0-based index, -1 for the missing key.</summary>
    public static OutputColumn<TOut> Key<TOut>(string name, IReadOnlyList<string> keyValues, Func<TOut, int> select)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var values = TextVector(keyValues);
        builder.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, keyValues.Count), (ref VBuffer<ReadOnlyMemory<char>> value) => values.CopyTo(ref value));
        return new OutputColumn<TOut, uint>(
            name, new KeyDataViewType(typeof(uint), Math.Max(1, keyValues.Count)), o => select(o) is var i and >= 0 ? (uint)i + 1 : 0u, builder.ToAnnotations());
    }

    /// <summary>Text values as ML.NET's text vector.</summary>
    public static VBuffer<ReadOnlyMemory<char>> TextVector(IReadOnlyList<string> values) =>
        new(values.Count, values.Select(v => v.AsMemory()).ToArray());
}
