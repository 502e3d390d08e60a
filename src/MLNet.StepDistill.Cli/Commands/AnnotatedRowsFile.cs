using System.Text.Json;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// Reads back what <c>stepdistill annotate --out FILE</c> writes: one JSON object a line with <c>id</c>, <c>input</c>
/// (the formatted student input), <c>rationale</c>, <c>teacherLabel</c>, <c>status</c>, <c>gold</c> and, for
/// multiple-choice datasets, <c>choices</c>. Rows keep their status, so the trainer uses only the <c>ok</c> ones for
/// rationales and teacher labels. Every problem names the file, line and field.
/// </summary>
internal static class AnnotatedRowsFile
{
    public static IReadOnlyList<AnnotatedRow> Read(string command, string path, TaskSchema schema)
    {
        if (!File.Exists(path))
        {
            throw new UserFacingException($"{command}: --annotated {path}: no such file (write one with `stepdistill annotate --dataset D --split S --out {Path.GetFileName(path)}`)");
        }

        var rows = new List<AnnotatedRow>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var row = ReadLine(command, path, lineNumber, line, schema);
            if (!ids.Add(row.Id))
            {
                throw Error(command, path, lineNumber, "id", $"\"{row.Id}\" appears more than once");
            }

            rows.Add(row);
        }

        return rows.Count > 0 ? rows : throw new UserFacingException($"{command}: --annotated {path}: the file holds no rows");
    }

    private static AnnotatedRow ReadLine(string command, string path, long lineNumber, string line, TaskSchema schema)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw Error(command, path, lineNumber, null, $"not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(command, path, lineNumber, null, "expected a JSON object (a row written by annotate --out)");
            }

            string? Text(string field, bool required)
            {
                if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    return required ? throw Error(command, path, lineNumber, field, "missing") : null;
                }

                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    _ => throw Error(command, path, lineNumber, field, $"expected a string, found {value.ValueKind.ToString().ToLowerInvariant()}"),
                };
            }

            var choices = ReadChoices(command, path, lineNumber, root);
            if (schema.HasChoices && choices.Length == 0)
            {
                throw Error(command, path, lineNumber, "choices", "missing: this is a multiple-choice dataset; re-run `stepdistill annotate --out`, which writes each row's choices");
            }

            return new AnnotatedRow
            {
                Id = Text("id", required: true)!,
                Input = Text("input", required: true)!,
                Label = Text("gold", required: false) ?? "",
                Choices = choices,
                Rationale = Text("rationale", required: false) ?? "",
                TeacherLabel = Text("teacherLabel", required: false) ?? "",
                AnnotationStatus = Text("status", required: true)!,
            };
        }
    }

    private static string[] ReadChoices(string command, string path, long lineNumber, JsonElement root)
    {
        if (!root.TryGetProperty("choices", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
        {
            throw Error(command, path, lineNumber, "choices", "expected an array of strings");
        }

        return value.EnumerateArray().Select(c => c.GetString()!).ToArray();
    }

    private static UserFacingException Error(string command, string path, long line, string? field, string problem) =>
        new($"{command}: --annotated {path}, line {line}{(field is null ? "" : $", field \"{field}\"")}: {problem}");
}
