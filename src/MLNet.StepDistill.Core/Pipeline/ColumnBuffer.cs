using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// Holds one input column's values for the rows of a batch, so a cursor can read a batch ahead on its own input cursor
/// and still serve each row's pass-through values afterwards. Vector values are copied out to the consumer (as ML.NET
/// getters do), so a consumer never shares the buffer's arrays.
/// </summary>
internal abstract class ColumnBuffer
{
    /// <summary>A buffer of <paramref name="capacity"/> rows for <paramref name="column"/>, read from <paramref name="cursor"/>.</summary>
    public static ColumnBuffer For(DataViewRowCursor cursor, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        var type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorColumnBuffer<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ScalarColumnBuffer<>).MakeGenericType(raw);
        return (ColumnBuffer)Activator.CreateInstance(type, cursor, column, capacity)!;
    }

    /// <summary>Copies the input cursor's current value into <paramref name="slot"/>.</summary>
    public abstract void Read(int slot);

    /// <summary>A getter of the value in the slot <paramref name="slot"/> returns at the time of the call.</summary>
    public abstract ValueGetter<TValue> Getter<TValue>(Func<int> slot);

    private sealed class ScalarColumnBuffer<T>(DataViewRowCursor cursor, DataViewSchema.Column column, int capacity) : ColumnBuffer
    {
        private readonly ValueGetter<T> read = cursor.GetGetter<T>(column);
        private readonly T[] values = new T[capacity];

        public override void Read(int slot)
        {
            T value = default!;
            read(ref value);
            values[slot] = value;
        }

        public override ValueGetter<TValue> Getter<TValue>(Func<int> slot) =>
            (ValueGetter<TValue>)(Delegate)(ValueGetter<T>)((ref T value) => value = values[slot()]);
    }

    private sealed class VectorColumnBuffer<T>(DataViewRowCursor cursor, DataViewSchema.Column column, int capacity) : ColumnBuffer
    {
        private readonly ValueGetter<VBuffer<T>> read = cursor.GetGetter<VBuffer<T>>(column);
        private readonly VBuffer<T>[] values = new VBuffer<T>[capacity];

        public override void Read(int slot) => read(ref values[slot]);

        public override ValueGetter<TValue> Getter<TValue>(Func<int> slot) =>
            (ValueGetter<TValue>)(Delegate)(ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => values[slot()].CopyTo(ref value));
    }
}
