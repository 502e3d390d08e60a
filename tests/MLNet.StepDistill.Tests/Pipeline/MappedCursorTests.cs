using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;
using Xunit;

namespace MLNet.StepDistill.Tests.Pipeline;

/// <summary>
/// The row-mapping engine's cursors: a cursor set maps its parts' batches concurrently, shuffled cursors batch too, and
/// every row keeps its own pass-through values (text, vector, id) next to its mapped columns, as the plain cursor gives.
/// </summary>
public class MappedCursorTests
{
    private const int RowCount = 203;
    private const int BatchSize = 8;

    private sealed class Row
    {
        public int Id { get; set; }

        public string Text { get; set; } = "";

        [VectorType]
        public float[] Values { get; set; } = [];
    }

    [Fact]
    public void A_cursor_set_maps_its_parts_concurrently_in_batches_and_gives_the_plain_cursors_rows()
    {
        var ml = new MLContext(seed: 1);
        var calls = new ConcurrentBag<(int Size, int Thread)>();
        var input = ml.Data.Cache(ml.Data.LoadFromEnumerable(Rows()));
        var mapped = Mapping(calls).Transform(input);
        var expected = Read(mapped, [mapped.GetRowCursor(mapped.Schema)]);
        calls.Clear();

        var cursors = mapped.GetRowCursorSet(mapped.Schema, 2);
        var actual = Read(mapped, cursors);

        Assert.Equal(2, cursors.Length);
        Assert.Equal(expected, actual);
        Assert.All(calls, c => Assert.InRange(c.Size, 1, BatchSize));
        Assert.Contains(calls, c => c.Size == BatchSize);
        Assert.True(calls.Select(c => c.Thread).Distinct().Count() >= 2, "the parts were mapped on one thread");
    }

    [Fact]
    public void A_shuffled_cursor_maps_in_batches_and_keeps_each_rows_values_with_its_outputs()
    {
        var ml = new MLContext(seed: 1);
        var calls = new ConcurrentBag<(int Size, int Thread)>();
        var input = ml.Data.Cache(ml.Data.LoadFromEnumerable(Rows()));
        var mapped = Mapping(calls).Transform(input);

        var rows = Read(mapped, [mapped.GetRowCursor(mapped.Schema, new Random(5))], sort: false);

        Assert.Equal(RowCount, rows.Count);
        Assert.NotEqual(Enumerable.Range(0, RowCount), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal(($"row {r.Id}", r.Id * 0.5f, $"ROW {r.Id}", $"row {r.Id}".Length), (r.Text, r.First, r.Upper, r.Length)));
        Assert.Contains(calls, c => c.Size == BatchSize);
    }

    [Fact]
    public void A_cursor_off_its_rows_says_so()
    {
        var ml = new MLContext(seed: 1);
        var mapped = Mapping(new ConcurrentBag<(int, int)>()).Transform(ml.Data.Cache(ml.Data.LoadFromEnumerable(Rows())));
        var cursor = mapped.GetRowCursor(mapped.Schema, new Random(1));
        var upper = cursor.GetGetter<ReadOnlyMemory<char>>(mapped.Schema["Upper"]);
        ReadOnlyMemory<char> value = default;

        Assert.Throws<InvalidOperationException>(() => upper(ref value));
        while (cursor.MoveNext())
        {
        }

        Assert.Throws<InvalidOperationException>(() => upper(ref value));
    }

    private static IEnumerable<Row> Rows() =>
        Enumerable.Range(0, RowCount).Select(i => new Row { Id = i, Text = $"row {i}", Values = [i * 0.5f, -i] });

    private static RowMapping<string, (string Upper, int Length)> Mapping(ConcurrentBag<(int Size, int Thread)> calls) => new()
    {
        Bind = schema => new BoundInput<string>([schema["Text"]], row =>
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(row.Schema["Text"]);
            return () =>
            {
                ReadOnlyMemory<char> text = default;
                getter(ref text);
                return text.ToString();
            };
        }),
        Outputs =
        [
            OutputColumns.Text<(string Upper, int Length)>("Upper", o => o.Upper),
            new OutputColumn<(string Upper, int Length), int>("Length", NumberDataViewType.Int32, o => o.Length),
        ],
        Map = texts =>
        {
            calls.Add((texts.Count, Environment.CurrentManagedThreadId));
            Thread.Sleep(1); // long enough for the other part's thread to overlap
            return texts.Select(t => (t.ToUpperInvariant(), t.Length)).ToArray();
        },
        BatchSize = BatchSize,
    };

    private sealed record Mapped(int Id, string Text, float First, string Upper, int Length, ulong RowId);

    /// <summary>Every row of <paramref name="cursors"/>, each moved on a thread of its own; sorted by Id unless told not to.</summary>
    private static List<Mapped> Read(IDataView view, DataViewRowCursor[] cursors, bool sort = true)
    {
        var rows = new ConcurrentBag<(int Part, int Index, Mapped Row)>();
        OwnThreads.Run(cursors.Length, part =>
        {
            using var cursor = cursors[part];
            var id = cursor.GetGetter<int>(view.Schema["Id"]);
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Text"]);
            var values = cursor.GetGetter<VBuffer<float>>(view.Schema["Values"]);
            var upper = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Upper"]);
            var length = cursor.GetGetter<int>(view.Schema["Length"]);
            var rowId = cursor.GetIdGetter();
            int i = 0, idValue = 0, lengthValue = 0;
            ReadOnlyMemory<char> textValue = default, upperValue = default;
            VBuffer<float> vector = default;
            DataViewRowId rowIdValue = default;
            while (cursor.MoveNext())
            {
                id(ref idValue);
                text(ref textValue);
                values(ref vector);
                upper(ref upperValue);
                length(ref lengthValue);
                rowId(ref rowIdValue);
                rows.Add((part, i++, new Mapped(idValue, textValue.ToString(), vector.GetValues()[0], upperValue.ToString(), lengthValue, rowIdValue.Low)));
            }
        });

        var ordered = rows.OrderBy(r => r.Part).ThenBy(r => r.Index).Select(r => r.Row);
        return (sort ? ordered.OrderBy(r => r.Id) : ordered).ToList();
    }
}
