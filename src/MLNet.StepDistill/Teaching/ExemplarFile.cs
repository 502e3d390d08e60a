using System.Text.Json;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>Reads <c>{"exemplars": [...]}</c> JSON (the shipped prompt files and users' own) into <see cref="PromptExemplar"/>s.</summary>
internal static class ExemplarFile
{
    public static IReadOnlyList<PromptExemplar> Read(Stream json, string source, TaskFamily family)
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
            return list.EnumerateArray().Select((e, i) => ReadOne(e, $"exemplars[{i}]", source, family)).ToArray();
        }
    }

    private static PromptExemplar ReadOne(JsonElement e, string at, string source, TaskFamily family)
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
            : family switch
            {
                TaskFamily.Nli => [Text("premise"), Text("hypothesis")],
                TaskFamily.Classification => [Text("text", "question")],
                _ => [Text("question")],
            };
        var choices = family == TaskFamily.MultipleChoiceQa ? Strings("choices") : [];
        return new PromptExemplar(inputs, Text("rationale"), Text("label", "answer", "equation"), choices);
    }
}
