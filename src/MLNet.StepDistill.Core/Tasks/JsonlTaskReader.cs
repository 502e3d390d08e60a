using System.Text.Json;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Reads task rows from JSONL: one JSON object a line; blank lines are allowed and are not rows.
/// Id and target may be strings or numbers; input fields are strings; the choices field is an array of strings
/// (or, with <see cref="TaskSchema.ChoiceFields"/>, one string field per choice); the rationale field, when the
/// schema has one, is a string a row may leave out, null or empty.
/// Every problem is a <see cref="DatasetFormatException"/> naming file, line and field; no row is skipped.
/// </summary>
internal static class JsonlTaskReader
{
    public static List<TaskExample> Read(string path, TaskSchema schema)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such data file");
        }

        var rows = new List<TaskExample>();
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            rows.Add(ReadLine(path, lineNumber, line, schema));
        }

        return rows;
    }

    private static TaskExample ReadLine(string path, long lineNumber, string line, TaskSchema schema)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            var position = ex.BytePositionInLine is { } b ? $" at byte {b + 1}" : "";
            throw new DatasetFormatException(path, lineNumber, null, $"not valid JSON{position}: {ex.Message}", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, lineNumber, null, $"expected a JSON object, found {Describe(root.ValueKind)}");
            }

            var id = Scalar(path, lineNumber, root, schema.IdField, allowNumber: true);
            var inputs = schema.InputFields.Select(f => Scalar(path, lineNumber, root, f, allowNumber: false)).ToArray();
            var choices = ReadChoices(path, lineNumber, root, schema);
            var target = schema.TargetField is { } t ? Scalar(path, lineNumber, root, t, allowNumber: true) : null;
            var rationale = schema.RationaleField is { } r ? OptionalText(path, lineNumber, root, r) : null;
            return new TaskExample(id, inputs, choices, target) { Rationale = rationale };
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

            choices[i++] = item.GetString()!;
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
            JsonValueKind.String => value.GetString()!,
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
            ? NullIfEmpty(value.GetString()!)
            : throw new DatasetFormatException(path, lineNumber, field, $"expected a string (or null), found {Describe(value.ValueKind)}");
    }

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;

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
