using System.Text.Json;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Reads task rows from JSONL: one JSON object a line; blank lines are allowed and are not rows.
/// Id and target may be strings or numbers; input fields are strings; the choices field is an array of strings
/// (or, with <see cref="TaskSchema.ChoiceFields"/>, one string field per choice); the rationale field, when the
/// schema has one, is a string a row may leave out, null or empty.
/// Every problem is a <see cref="DatasetFormatException"/> naming file, line and field; no row is skipped (except, with
/// <see cref="TaskReadOptions.DropUnknownLabels"/>, rows whose gold label is outside the label set: <see cref="GoldLabelCheck"/>). Text must be
/// valid UTF-8 without lone UTF-16 surrogate escapes; a key repeated in one object, an empty or repeated id, and a
/// file with no rows are errors.
/// </summary>
internal static class JsonlTaskReader
{
    public static TaskRows Read(string path, TaskSchema schema, TaskReadOptions? options)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such data file");
        }

        var rows = new List<TaskExample>();
        var ids = new DatasetIds(path, schema.IdField);
        var labels = new GoldLabelCheck(schema, options);
        using var stream = File.OpenRead(path);
        var lines = new Utf8LineReader(stream);
        while (lines.TryRead(out var line, out var tooLong))
        {
            var lineNumber = lines.LineNumber;
            if (tooLong)
            {
                throw new DatasetFormatException(path, lineNumber, null, $"the line is longer than {Utf8LineReader.MaxLineBytes >> 20} MiB");
            }

            if (!IsBlank(line.Span))
            {
                var row = ReadLine(path, lineNumber, line, schema);
                ids.Add(row.Id, lineNumber);
                if (labels.Check(row, path, lineNumber) is { } kept)
                {
                    rows.Add(kept);
                }
            }
        }

        if (rows.Count == 0 && labels.Dropped.Count == 0)
        {
            throw new DatasetFormatException(path, null, null, "the file holds no rows (a split needs at least one)");
        }

        return labels.Result(rows, path);
    }

    internal static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    /// <summary>
    /// One line's row. <paramref name="forScoring"/> reads what a model needs to answer it: the inputs and the choices,
    /// the id when the line has one (empty otherwise), and not the target or the rationale.
    /// </summary>
    internal static TaskExample ReadLine(string path, long lineNumber, ReadOnlyMemory<byte> line, TaskSchema schema, bool forScoring = false)
    {
        if (!System.Text.Unicode.Utf8.IsValid(line.Span))
        {
            var valid = ValidPrefixLength(line.Span);
            var field = FieldAt(line.Span[..valid]);
            throw new DatasetFormatException(path, lineNumber, field, $"invalid UTF-8 at byte {valid + 1} of the line (the file must be UTF-8 text)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line, StrictJson);
        }
        catch (JsonException ex)
        {
            // JsonException's own message counts lines from 0 within this one line ("LineNumber: 0"): give ours only.
            var position = ex.BytePositionInLine is { } b ? $" at byte {b + 1}" : "";
            var problem = ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "a key appears twice in the object" : FirstSentence(ex.Message);
            throw new DatasetFormatException(path, lineNumber, null, $"not valid JSON{position}: {problem}", ex);
        }
        catch (InvalidOperationException)
        {
            // Checking keys for repeats unescapes them: a key with a lone UTF-16 surrogate escape fails there.
            throw new DatasetFormatException(path, lineNumber, null, "a key holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"); it is not text");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, lineNumber, null, $"expected a JSON object, found {Describe(root.ValueKind)}");
            }

            try
            {
                var id = forScoring && (!root.TryGetProperty(schema.IdField, out var given) || given.ValueKind == JsonValueKind.Null)
                    ? ""
                    : Scalar(path, lineNumber, root, schema.IdField, allowNumber: true);
                var inputs = schema.InputFields.Select(f => Scalar(path, lineNumber, root, f, allowNumber: false)).ToArray();
                var choices = ReadChoices(path, lineNumber, root, schema);
                var target = !forScoring && schema.TargetField is { } t ? Scalar(path, lineNumber, root, t, allowNumber: true) : null;
                var rationale = !forScoring && schema.RationaleField is { } r ? OptionalText(path, lineNumber, root, r) : null;
                return new TaskExample(id, inputs, choices, target) { Rationale = rationale };
            }
            catch (InvalidOperationException)
            {
                // A key (not a value, which Text reports with its field) holds a lone UTF-16 surrogate escape.
                throw new DatasetFormatException(path, lineNumber, null, "a key holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"); it is not text");
            }
        }
    }

    private static string[] ReadChoices(string path, long lineNumber, JsonElement root, TaskSchema schema)
    {
        if (schema.ChoiceFields is { } fields)
        {
            return fields.Select(f => Scalar(path, lineNumber, root, f, allowNumber: true)).Where(c => c.Length > 0).ToArray();
        }

        if (schema.ChoicesField is not { } field)
        {
            return [];
        }

        var value = Property(path, lineNumber, root, field);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new DatasetFormatException(path, lineNumber, field, $"expected an array of strings, found {Describe(value.ValueKind)}");
        }

        var choices = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(path, lineNumber, field, $"item {i} is {Describe(item.ValueKind)}; expected an array of strings");
            }

            choices[i++] = Text(path, lineNumber, item, field);
        }

        if (choices.Length == 0)
        {
            throw new DatasetFormatException(path, lineNumber, field, "is an empty array; a multiple-choice row needs its choices");
        }

        return choices;
    }

    private static string Scalar(string path, long lineNumber, JsonElement root, string field, bool allowNumber)
    {
        var value = Property(path, lineNumber, root, field);
        return value.ValueKind switch
        {
            JsonValueKind.String => Text(path, lineNumber, value, field),
            JsonValueKind.Number when allowNumber => value.GetRawText(),
            _ => throw new DatasetFormatException(path, lineNumber, field,
                $"expected {(allowNumber ? "a string or a number" : "a string")}, found {Describe(value.ValueKind)}"),
        };
    }

    /// <summary>A text field a row may leave out, null or empty (the row's own rationale): null then.</summary>
    private static string? OptionalText(string path, long lineNumber, JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? NullIfEmpty(Text(path, lineNumber, value, field))
            : throw new DatasetFormatException(path, lineNumber, field, $"expected a string (or null), found {Describe(value.ValueKind)}");
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>A string value; a lone UTF-16 surrogate escape (e.g. <c>"\ud800"</c>) is an error naming the field.</summary>
    private static string Text(string path, long lineNumber, JsonElement value, string field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new DatasetFormatException(path, lineNumber, field, "holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"); it is not text");
        }
    }

    private static int ValidPrefixLength(ReadOnlySpan<byte> line)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(line, new char[line.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? line.Length : read;
    }

    /// <summary>The last property name opened before <paramref name="prefix"/> ends (the field the invalid byte is in), if any.</summary>
    private static string? FieldAt(ReadOnlySpan<byte> prefix)
    {
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: default);
        string? field = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    field = reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
        }

        return field;
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        cut = cut < 0 ? message.IndexOf(" LineNumber:", StringComparison.Ordinal) : cut;
        return cut < 0 ? message : message[..cut].TrimEnd();
    }

    private static JsonElement Property(string path, long lineNumber, JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value))
        {
            throw new DatasetFormatException(path, lineNumber, field, "missing");
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            throw new DatasetFormatException(path, lineNumber, field, "is null");
        }

        return value;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
