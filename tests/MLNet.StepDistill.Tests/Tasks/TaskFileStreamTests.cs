using System.Text;
using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>Reading a file to score a row at a time: rows in order with their lines, unreadable rows carried, memory bounded.</summary>
public class TaskFileStreamTests
{
    private static readonly TaskSchema Cqa = new()
    {
        Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices", TargetField = "answer",
    };

    private static readonly TaskSchema Nli = new()
    {
        Family = TaskFamily.Nli, IdField = "id", InputFields = ["premise", "hypothesis"], TargetField = "label",
        Labels = ["entailment", "neutral", "contradiction"],
    };

    private static TaskFileRow[] Read(byte[] bytes, string name, TaskSchema schema) =>
        TaskFileStream.Read(new MemoryStream(bytes), name, schema).ToArray();

    private static TaskFileRow[] Read(string text, string name, TaskSchema schema) => Read(Encoding.UTF8.GetBytes(text), name, schema);

    [Fact]
    public void Jsonl_rows_come_in_order_with_their_lines_and_unreadable_rows_do_not_stop_the_reading()
    {
        var rows = Read(
            "\uFEFF{\"id\":\"a\",\"question\":\"Where is milk?\",\"choices\":[\"fridge\",\"car\"]}\r\n" +
            "\n" +
            "{\"id\":\"b\",\"question\":\"x\"}\n" +                                   // no choices
            "not json\n" +
            "{\"question\":\"No id, no answer, still scored\",\"choices\":[\"p\",\"q\"]}\n" +
            "{\"id\":7,\"question\":\"\uD83D\uDE00 emoji\",\"choices\":[\"y\",\"z\"],\"answer\":\"y\"}",   // last line, no newline
            "rows.jsonl", Cqa);

        Assert.Equal([1L, 3, 4, 5, 6], rows.Select(r => r.Line));
        Assert.Equal(("a", "Where is milk?"), (rows[0].Example!.Id, rows[0].Example!.Text));
        Assert.Equal(["fridge", "car"], rows[0].Example!.Choices);
        Assert.Null(rows[1].Example);
        Assert.Equal(("choices", 3L), (rows[1].Error!.Field, rows[1].Error!.Line));
        Assert.Contains("rows.jsonl line 4", rows[2].Error!.Message);
        Assert.Equal("", rows[3].Example!.Id);
        Assert.Null(rows[3].Example!.Target);                                        // the target is not read for scoring
        Assert.Equal(("7", "\uD83D\uDE00 emoji"), (rows[4].Example!.Id, rows[4].Example!.Text));
    }

    [Fact]
    public void Jsonl_bytes_that_are_not_utf8_fail_that_row_only()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"id\":\"1\",\"premise\":\"p\",\"hypothesis\":\"h\"}\n{\"id\":\"2\",\"premise\":\"bad X\",\"hypothesis\":\"h\"}\n{\"id\":\"3\",\"premise\":\"p\",\"hypothesis\":\"h\"}\n");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;

        var rows = Read(bytes, "rows.jsonl", Nli);

        Assert.Equal(["1", null, "3"], rows.Select(r => r.Example?.Id));
        Assert.Equal("premise", rows[1].Error!.Field);
        Assert.Contains("UTF-8", rows[1].Error!.Problem);
    }

    [Fact]
    public void Csv_records_that_cannot_be_read_are_carried_and_the_next_line_is_read()
    {
        var rows = Read(
            "id,premise,hypothesis\n" +
            "1,\"A man, a plan\",\"He said \"\"hi\"\"\"\n" +
            "2,bad \"quote,h\n" +
            "3,too,many,fields\n" +
            "4,\"two\nlines\",h\n" +
            "5,\"closed\"then text,h\n" +
            "6,last,\"\uD83D\uDE00\"\n",
            "rows.csv", Nli);

        Assert.Equal([2L, 3, 4, 5, 7, 8], rows.Select(r => r.Line));
        Assert.Equal(["A man, a plan", "He said \"hi\""], rows[0].Example!.Inputs);
        Assert.Contains("quote inside an unquoted field", rows[1].Error!.Problem);
        Assert.Contains("4 fields, but the header has 3 columns", rows[2].Error!.Problem);
        Assert.Equal(["two\nlines", "h"], rows[3].Example!.Inputs);
        Assert.Contains("after a closing quote", rows[4].Error!.Problem);
        Assert.Equal(("6", "\uD83D\uDE00"), (rows[5].Example!.Id, rows[5].Example!.Inputs[1]));
    }

    [Fact]
    public void Csv_invalid_utf8_fails_its_record_and_an_unterminated_quote_ends_the_file()
    {
        var bytes = Encoding.UTF8.GetBytes("premise,hypothesis\np,bad X\np,h\n\"never closed,h\nmore\n");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xC3;   // a lead byte without its continuation

        var rows = Read(bytes, "rows.csv", Nli);

        Assert.Equal([2L, 3, 4], rows.Select(r => r.Line));
        Assert.Contains("invalid UTF-8", rows[0].Error!.Problem);
        Assert.Equal("", rows[1].Example!.Id);                                      // no id column: ids are optional for scoring
        Assert.Contains("unterminated quoted field", rows[2].Error!.Problem);
    }

    [Fact]
    public void A_csv_header_without_an_input_column_or_an_unknown_extension_fails_the_whole_file()
    {
        var header = Assert.Throws<DatasetFormatException>(() => Read("id,premise\n1,p\n", "rows.csv", Nli));
        Assert.Equal("hypothesis", header.Field);
        var extension = Assert.Throws<DatasetFormatException>(() => TaskFileStream.Read(new MemoryStream(), "rows.txt", Nli));
        Assert.Contains("unknown file type", extension.Message);
    }

    [Theory]
    [InlineData("rows.jsonl")]
    [InlineData("rows.csv")]
    public void The_first_row_comes_after_reading_a_buffer_not_the_file(string name)
    {
        // 200,000 rows (about 11 MB): the first row is read after at most a buffer or two of the stream.
        var stream = new CountingStream(new GeneratedRows(name.EndsWith(".csv", StringComparison.Ordinal), 200_000));
        using var rows = TaskFileStream.Read(stream, name, Nli).GetEnumerator();
        Assert.True(rows.MoveNext());
        Assert.Equal("0", rows.Current.Example!.Id);
        Assert.InRange(stream.BytesRead, 1, 256 * 1024);

        var count = 1;
        while (rows.MoveNext())
        {
            Assert.Null(rows.Current.Error);
            count++;
        }

        Assert.Equal(200_000, count);
        Assert.True(stream.BytesRead > 10_000_000);
    }

    [Fact]
    public void A_line_longer_than_the_buffer_is_read_whole_and_one_past_the_limit_is_skipped()
    {
        var longLine = new string('x', 300_000);
        var bytes = Encoding.UTF8.GetBytes($"first\n{longLine}\n{new string('y', 2_000_000)}\nlast");
        var lines = new Utf8LineReader(new MemoryStream(bytes), maxLineBytes: 1 << 20, bufferBytes: 1024);
        var seen = new List<(long, string?, bool)>();
        while (lines.TryRead(out var line, out var tooLong))
        {
            seen.Add((lines.LineNumber, tooLong ? null : Encoding.UTF8.GetString(line.Span), tooLong));
        }

        Assert.Equal([(1L, "first", false), (2L, longLine, false), (3L, null, true), (4L, "last", false)], seen);
    }

    /// <summary>NLI rows made on the fly, as JSONL or CSV (with a header), so no test file holds them.</summary>
    private sealed class GeneratedRows(bool csv, int count) : Stream
    {
        private byte[] pending = csv ? Encoding.UTF8.GetBytes("id,premise,hypothesis\n") : [];
        private int offset;
        private int next;

        public override int Read(byte[] buffer, int start, int length)
        {
            if (offset == pending.Length)
            {
                if (next == count)
                {
                    return 0;
                }

                pending = Encoding.UTF8.GetBytes(csv
                    ? $"{next},A man sleeps on a bench number {next}.,A person rests.\n"
                    : $"{{\"id\":\"{next}\",\"premise\":\"A man sleeps on bench {next}.\",\"hypothesis\":\"A person rests.\"}}\n");
                offset = 0;
                next++;
            }

            var n = Math.Min(length, pending.Length - offset);
            Array.Copy(pending, offset, buffer, start, n);
            offset += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
