using System.Text;

namespace MLNet.StepDistill.Tasks;

/// <summary>One CSV record and the (1-based) line it starts on.</summary>
internal sealed record CsvRecord(long Line, string[] Fields)
{
    /// <summary>Why the record could not be read (recovering readers only); its fields are then empty.</summary>
    public DatasetFormatException? Error { get; init; }
}

/// <summary>
/// An RFC 4180 CSV tokenizer: comma-separated fields; records end at CRLF, LF or CR; a field in double quotes may hold
/// commas, line breaks and doubled quotes (<c>""</c> is one quote). Stricter than many readers, so mistakes show:
/// an unterminated quote, text after a closing quote and a quote inside an unquoted field are errors naming the line.
/// Empty lines between records are not records.
/// </summary>
internal static class CsvRecordReader
{
    /// <summary>
    /// The records of <paramref name="reader"/>. A malformed record throws, unless <paramref name="recover"/>: then it
    /// comes back with its <see cref="CsvRecord.Error"/>, the rest of its line is skipped and reading goes on (an
    /// unterminated quote runs to the end of the file, so it is the last record).
    /// </summary>
    public static IEnumerable<CsvRecord> Read(TextReader reader, string path, bool recover = false)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        long line = 1;
        long recordLine = 1;
        var inRecord = false;

        while (true)
        {
            var c = reader.Read();
            if (c == -1)
            {
                if (inRecord)
                {
                    fields.Add(field.ToString());
                    yield return new CsvRecord(recordLine, fields.ToArray());
                }

                yield break;
            }

            if (!inRecord)
            {
                if (c is '\n' or '\r')
                {
                    line += ConsumeNewline(reader, c);
                    continue;
                }

                inRecord = true;
                recordLine = line;
            }

            if (c == '"' && field.Length == 0)
            {
                var (closedOn, closed) = ReadQuoted(reader, line, field);
                if (!closed)
                {
                    var unterminated = new DatasetFormatException(path, line, null, "unterminated quoted field (the file ends before its closing quote)");
                    if (!recover)
                    {
                        throw unterminated;
                    }

                    yield return new CsvRecord(recordLine, []) { Error = unterminated };
                    yield break;
                }

                line = closedOn;
                var next = reader.Peek();
                if (next is not (-1 or ',' or '\n' or '\r'))
                {
                    var afterQuote = new DatasetFormatException(path, line, null,
                        $"unexpected '{(char)next}' after a closing quote (a quote inside a quoted field is written as \"\")");
                    if (!recover)
                    {
                        throw afterQuote;
                    }

                    line += SkipRestOfLine(reader);
                    yield return new CsvRecord(recordLine, []) { Error = afterQuote };
                    fields.Clear();
                    field.Clear();
                    inRecord = false;
                }

                continue;
            }

            switch (c)
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\n' or '\r':
                    fields.Add(field.ToString());
                    field.Clear();
                    yield return new CsvRecord(recordLine, fields.ToArray());
                    fields.Clear();
                    inRecord = false;
                    line += ConsumeNewline(reader, c);
                    break;
                case '"':
                    var quote = new DatasetFormatException(path, line, null,
                        "a quote inside an unquoted field; wrap the field in quotes and double the quote (\"\")");
                    if (!recover)
                    {
                        throw quote;
                    }

                    line += SkipRestOfLine(reader);
                    yield return new CsvRecord(recordLine, []) { Error = quote };
                    fields.Clear();
                    field.Clear();
                    inRecord = false;
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }

    /// <summary>
    /// Reads a quoted field's content after its opening quote: the line the closing quote is on, or not closed when the
    /// file ends first.
    /// </summary>
    private static (long Line, bool Closed) ReadQuoted(TextReader reader, long startLine, StringBuilder field)
    {
        var line = startLine;
        while (true)
        {
            var c = reader.Read();
            switch (c)
            {
                case -1:
                    return (line, false);
                case '"' when reader.Peek() == '"':
                    reader.Read();
                    field.Append('"');
                    break;
                case '"':
                    return (line, true);
                case '\r':
                    field.Append('\r');
                    if (reader.Peek() == '\n')
                    {
                        field.Append((char)reader.Read());
                    }

                    line++;
                    break;
                case '\n':
                    field.Append('\n');
                    line++;
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }

    /// <summary>
    /// Where text that ends at <paramref name="prefix"/>'s end is: its 1-based line and the 0-based index of the field it is
    /// in (for naming the column of a byte that is not UTF-8).
    /// </summary>
    public static (long Line, int Field) Locate(string prefix)
    {
        long line = 1;
        var field = 0;
        var quoted = false;
        for (var i = 0; i < prefix.Length; i++)
        {
            var c = prefix[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && i + 1 < prefix.Length && prefix[i + 1] == '\n')
                {
                    i++;
                }

                line++;
                if (!quoted)
                {
                    field = 0;
                }
            }
            else if (c == ',' && !quoted)
            {
                field++;
            }
        }

        return (line, field);
    }

    /// <summary>Skips to the end of the current line and past its line break: 1 when there was one, 0 at the end of the file.</summary>
    private static int SkipRestOfLine(TextReader reader)
    {
        while (true)
        {
            var c = reader.Read();
            if (c == -1)
            {
                return 0;
            }

            if (c is '\n' or '\r')
            {
                return ConsumeNewline(reader, c);
            }
        }
    }

    private static int ConsumeNewline(TextReader reader, int c)
    {
        if (c == '\r' && reader.Peek() == '\n')
        {
            reader.Read();
        }

        return 1;
    }
}
