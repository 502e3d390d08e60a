using System.Text.Json;
using MLNet.StepDistill.Pipeline;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The few-shot exemplar file: <c>{"exemplars": [{...}, ...]}</c>, one object per worked example with
/// <c>"rationale"</c>, its answer (<c>"label"</c>, <c>"answer"</c> or <c>"equation"</c>), its inputs and, for families
/// whose rows carry choices, <c>"choices"</c> (an array of strings). The inputs are given as <c>"inputs": [...]</c> (in the
/// schema's order), by the dataset's own input field names (e.g. <c>"subject"</c>, <c>"body"</c>), or by the family's
/// keys (<see cref="TaskFamily.ExemplarInputKeys"/>: <c>"text"</c> for classification, <c>"question"</c>,
/// <c>"premise"</c> and <c>"hypothesis"</c>). The shipped prompt files, <c>dataset.json</c>'s <c>"exemplars"</c>, the
/// CLI's <c>--exemplars</c> and <c>annotate --save-exemplars</c> all use it.
/// </summary>
public static class ExemplarFile
{
    /// <summary>Reads an exemplar file for a dataset's schema.</summary>
    /// <exception cref="DatasetFormatException">The file is missing, not JSON, or an exemplar lacks a field (the message names file and field).</exception>
    public static IReadOnlyList<PromptExemplar> Read(string path, TaskSchema schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(schema);
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such exemplar file");
        }

        using var stream = File.OpenRead(path);
        return Read(stream, path, schema.Family, schema.InputFields);
    }

    /// <summary>
    /// Writes exemplars in the file's format, inputs under the schema's field names (atomically: a temporary file
    /// renamed into place), so <see cref="Read(string, TaskSchema)"/> reads them back.
    /// </summary>
    public static void Write(string path, IReadOnlyList<PromptExemplar> exemplars, TaskSchema schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(exemplars);
        ArgumentNullException.ThrowIfNull(schema);
        var list = new List<Dictionary<string, object>>();
        foreach (var exemplar in exemplars)
        {
            var entry = new Dictionary<string, object>(StringComparer.Ordinal);
            for (var i = 0; i < schema.InputFields.Count && i < exemplar.Inputs.Count; i++)
            {
                entry[schema.InputFields[i]] = exemplar.Inputs[i];
            }

            if (exemplar.Choices.Count > 0)
            {
                entry["choices"] = exemplar.Choices;
            }

            entry["rationale"] = exemplar.Rationale;
            entry["label"] = exemplar.Label;
            list.Add(entry);
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        StaleTempFiles.DeleteBeside(full);
        var temp = StaleTempFiles.Beside(full);
        try
        {
            File.WriteAllText(temp, JsonSerializer.Serialize(new Dictionary<string, object> { ["exemplars"] = list }, new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    internal static IReadOnlyList<PromptExemplar> Read(Stream json, string source, TaskFamily family, IReadOnlyList<string>? inputFields = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(source, e.LineNumber + 1, null, "not valid JSON: " + e.Message, e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("exemplars", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new DatasetFormatException(source, null, "exemplars", "expected {\"exemplars\": [ ... ]}");
            }
            return list.EnumerateArray().Select((e, i) => ReadOne(e, $"exemplars[{i}]", source, family, inputFields)).ToArray();
        }
    }

    /// <summary>The string values of <paramref name="keys"/> in order; null when there are none or one is missing or not a string.</summary>
    private static IReadOnlyList<string>? StringsNamed(JsonElement e, IReadOnlyList<string>? keys)
    {
        if (keys is not { Count: > 0 })
        {
            return null;
        }

        var values = new List<string>();
        foreach (var field in keys)
        {
            if (!e.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            values.Add(value.GetString()!);
        }

        return values;
    }

    private static PromptExemplar ReadOne(JsonElement e, string at, string source, TaskFamily family, IReadOnlyList<string>? inputFields)
    {
        string Text(params string[] names)
        {
            foreach (var name in names)
            {
                if (e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                {
                    return v.GetString()!;
                }
            }
            throw new DatasetFormatException(source, null, $"{at}.{names[0]}", $"missing: a string {string.Join(" or ", names.Select(n => $"\"{n}\""))}");
        }

        string[] Strings(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
            : throw new DatasetFormatException(source, null, $"{at}.{name}", "missing: an array of strings");

        var inputs = e.TryGetProperty("inputs", out _)
            ? Strings("inputs")
            : StringsNamed(e, family.ExemplarInputKeys) ?? StringsNamed(e, inputFields)
                ?? (family.ExemplarInputKeys.Count == 1 ? StringsNamed(e, ["question"]) : null)
                ?? throw new DatasetFormatException(source, null, $"{at}.{family.ExemplarInputKeys[0]}",
                    $"missing: the exemplar's inputs, as \"inputs\": [...] or as strings named {string.Join(", ", family.ExemplarInputKeys.Select(k => $"\"{k}\""))}"
                    + (inputFields is { Count: > 0 } ? $" or {string.Join(", ", inputFields.Select(k => $"\"{k}\""))} (the dataset's input fields)" : ""));
        var choices = family.HasChoices ? Strings("choices") : [];
        return new PromptExemplar(inputs, Text("rationale"), Text("label", "answer", "equation"), choices);
    }
}
