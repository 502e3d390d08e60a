namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Reads task rows from an RFC 4180 CSV file with a header row. The schema's fields are header names; choices come
/// from one field split at <see cref="TaskSchema.ChoicesSeparator"/> or from several <see cref="TaskSchema.ChoiceFields"/>.
/// A missing header column, a record with the wrong number of fields, or an empty id are errors naming file and line.
/// </summary>
internal static class CsvTaskReader
{
    public static List<TaskExample> Read(string path, TaskSchema schema)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such data file");
        }

        using var reader = new StreamReader(path);
        using var records = CsvRecordReader.Read(reader, path).GetEnumerator();
        if (!records.MoveNext())
        {
            throw new DatasetFormatException(path, 1, null, "empty file; expected a header row naming the columns");
        }

        var header = records.Current;
        var columns = new FlatRowMapper(schema, header.Fields, path, header.Line);
        var rows = new List<TaskExample>();
        while (records.MoveNext())
        {
            var record = records.Current;
            if (record.Fields.Length != header.Fields.Length)
            {
                throw new DatasetFormatException(path, record.Line, null,
                    $"{record.Fields.Length} fields, but the header has {header.Fields.Length} columns");
            }

            rows.Add(columns.Map(i => record.Fields[i], path, record.Line));
        }

        return rows;
    }
}
