namespace MLNet.StepDistill.Tasks;

/// <summary>One row of a file read for scoring: the line it starts on, and the row, or why it could not be read.</summary>
/// <param name="Line">The 1-based line the row starts on.</param>
/// <param name="Example">The row (its id empty when the file has none for it); null when it could not be read.</param>
/// <param name="Error">Why the row could not be read (line, field and problem); null when it was read.</param>
public sealed record TaskFileRow(long Line, TaskExample? Example, DatasetFormatException? Error);

/// <summary>
/// Reads a JSONL or CSV file of rows to score one row at a time, in file order, holding one row in memory rather than
/// the file. Unlike <see cref="TaskDataset.ReadFile"/>, a row that cannot be read does not stop the reading: it comes back
/// with its error (line, field, problem) and the rows after it are read on. A row needs the schema's input fields (and
/// its choices, for multiple-choice); the id is read when the row has one (empty otherwise); the target and the rationale
/// are not read, and ids are not checked for repeats (that would take memory in proportion to the file).
/// </summary>
public static class TaskFileStream
{
    /// <summary>
    /// The rows of <paramref name="path"/> (<c>.jsonl</c>: one JSON object a line; <c>.csv</c>: RFC 4180 with a header row),
    /// read from <paramref name="stream"/> (its <see cref="Stream.Position"/> tells how far the reading has come).
    /// </summary>
    /// <exception cref="DatasetFormatException">
    /// The extension is neither (thrown by the call), or the CSV header is missing, malformed, repeats a column, lacks an
    /// input or choices column, or is not UTF-8 (thrown by the first <c>MoveNext</c>). Rows are never thrown: they carry
    /// their error.
    /// </exception>
    public static IEnumerable<TaskFileRow> Read(Stream stream, string path, TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(schema);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" => ReadJsonl(stream, path, schema),
            ".csv" => ReadCsv(stream, path, schema),
            _ => throw new DatasetFormatException(path, null, null, "unknown file type; use .jsonl (one JSON object a line) or .csv (RFC 4180 with a header row)"),
        };
    }

    private static IEnumerable<TaskFileRow> ReadJsonl(Stream stream, string path, TaskSchema schema)
    {
        var lines = new Utf8LineReader(stream);
        while (lines.TryRead(out var line, out var tooLong))
        {
            if (tooLong)
            {
                yield return Failed(lines.LineNumber, new DatasetFormatException(path, lines.LineNumber, null, $"the line is longer than {Utf8LineReader.MaxLineBytes >> 20} MiB"));
            }
            else if (!JsonlTaskReader.IsBlank(line.Span))
            {
                yield return JsonlRow(path, lines.LineNumber, line, schema);
            }
        }
    }

    private static TaskFileRow JsonlRow(string path, long lineNumber, ReadOnlyMemory<byte> line, TaskSchema schema)
    {
        try
        {
            return new TaskFileRow(lineNumber, JsonlTaskReader.ReadLine(path, lineNumber, line, schema, forScoring: true), null);
        }
        catch (DatasetFormatException ex)
        {
            return new TaskFileRow(lineNumber, null, ex);
        }
    }

    private static IEnumerable<TaskFileRow> ReadCsv(Stream stream, string path, TaskSchema schema)
    {
        using var text = new Utf8TextReader(stream);
        using var records = CsvRecordReader.Read(text, path, recover: true).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new DatasetFormatException(path, 1, null, "empty file; expected a header row naming the columns");
        }

        var header = records.Current;
        if (header.Error is { } headerError)
        {
            throw headerError;
        }

        if (text.TakeInvalid())
        {
            throw new DatasetFormatException(path, header.Line, null, "the header row is not UTF-8 text");
        }

        var repeated = header.Fields.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new DatasetFormatException(path, header.Line, repeated.Key, "the header names this column more than once; column names must be unique");
        }

        var columns = new FlatRowMapper(schema, header.Fields, path, header.Line, forScoring: true);
        while (records.MoveNext())
        {
            var record = records.Current;
            yield return text.TakeInvalid()
                ? Failed(record.Line, new DatasetFormatException(path, record.Line, null, "invalid UTF-8 in the record (the file must be UTF-8 text)"))
                : CsvRow(path, record, header.Fields.Length, columns);
        }
    }

    private static TaskFileRow CsvRow(string path, CsvRecord record, int columnCount, FlatRowMapper columns)
    {
        if (record.Error is { } error)
        {
            return Failed(record.Line, error);
        }

        if (record.Fields.Length != columnCount)
        {
            return Failed(record.Line, new DatasetFormatException(path, record.Line, null, $"{record.Fields.Length} fields, but the header has {columnCount} columns"));
        }

        try
        {
            return new TaskFileRow(record.Line, columns.Map(i => record.Fields[i], path, record.Line), null);
        }
        catch (DatasetFormatException ex)
        {
            return Failed(record.Line, ex);
        }
    }

    private static TaskFileRow Failed(long line, DatasetFormatException error) => new(line, null, error);
}
