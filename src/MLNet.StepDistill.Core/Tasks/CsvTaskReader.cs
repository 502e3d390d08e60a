namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Reads task rows from an RFC 4180 CSV file with a header row. The schema's fields are header names; choices come
/// from one field split at <see cref="TaskSchema.ChoicesSeparator"/> or from several <see cref="TaskSchema.ChoiceFields"/>.
/// A missing or repeated header column, a record with the wrong number of fields, an empty or repeated id, text that is
/// not UTF-8 (naming line and column), a gold label outside the label set (<see cref="GoldLabelCheck"/>) and a file with
/// no rows are errors naming file and line.
/// </summary>
internal static class CsvTaskReader
{
    public static TaskRows Read(string path, TaskSchema schema, TaskReadOptions? options)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such data file");
        }

        var text = DecodeUtf8(path, File.ReadAllBytes(path));
        using var reader = new StringReader(text);
        using var records = CsvRecordReader.Read(reader, path).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new DatasetFormatException(path, 1, null, "empty file; expected a header row naming the columns");
        }

        var header = records.Current;
        var repeated = header.Fields.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new DatasetFormatException(path, header.Line, repeated.Key, "the header names this column more than once; column names must be unique");
        }

        var columns = new FlatRowMapper(schema, header.Fields, path, header.Line);
        var ids = new DatasetIds(path, schema.IdField);
        var labels = new GoldLabelCheck(schema, options);
        var rows = new List<TaskExample>();
        while (records.MoveNext())
        {
            var record = records.Current;
            if (record.Fields.Length != header.Fields.Length)
            {
                throw new DatasetFormatException(path, record.Line, null,
                    $"{record.Fields.Length} fields, but the header has {header.Fields.Length} columns");
            }

            var row = columns.Map(i => record.Fields[i], path, record.Line);
            ids.Add(row.Id, record.Line);
            if (labels.Check(row, path, record.Line) is { } kept)
            {
                rows.Add(kept);
            }
        }

        if (rows.Count == 0 && labels.Dropped.Count == 0)
        {
            throw new DatasetFormatException(path, null, null, "the file has a header but no rows (a split needs at least one)");
        }

        return labels.Result(rows, path);
    }

    /// <summary>The file's text; bytes that are not UTF-8 are an error naming the line and the column they are in.</summary>
    private static string DecodeUtf8(string path, byte[] bytes)
    {
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var span = bytes.AsSpan(start);
        var chars = new char[span.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(span, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status == System.Buffers.OperationStatus.Done)
        {
            return new string(chars, 0, written);
        }

        var prefix = new string(chars, 0, written);
        var (line, field) = CsvRecordReader.Locate(prefix);
        string? column = null;
        if (line > 1)
        {
            using var header = CsvRecordReader.Read(new StringReader(prefix), path).GetEnumerator();
            if (header.MoveNext() && field < header.Current.Fields.Length)
            {
                column = header.Current.Fields[field];
            }
        }

        var where = column is null ? $"column {field + 1}" : $"column {field + 1}";
        throw new DatasetFormatException(path, line, column, $"invalid UTF-8 at byte {start + read + 1} of the file ({where}); the file must be UTF-8 text");
    }
}
