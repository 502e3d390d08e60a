using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Deployment;

/// <summary>
/// Reads a <see cref="StudentAnswerSpec"/> from JSON, in its own shape (<c>format_version</c> 3) or in the two shapes saved
/// before it: a model zip's <c>head.json</c> of format 2 (enums as numbers; <c>answer_kind</c> FixedLabels / Choices /
/// OpenText beside <c>answer_kind_compared</c>) and an ONNX manifest's <c>"student"</c> section without a version (enums
/// as names, the same three answer kinds). The three are told apart by <c>format_version</c>: 3, 2, or absent.
/// </summary>
public static class StudentAnswerSpecJson
{
    /// <summary>The oldest <c>head.json</c> format read.</summary>
    public const int OldestHeadFormatVersion = 2;

    private static readonly JsonSerializerOptions Options = new() { AllowDuplicateProperties = false };

    /// <summary>Reads a spec from <paramref name="json"/> (any of the three shapes), without checking its values (<see cref="StudentAnswerSpec"/> callers do).</summary>
    /// <exception cref="JsonException">Not a JSON object, a value of the wrong type, an unknown enum name, or a format this library does not read (the message says which and what to do).</exception>
    public static StudentAnswerSpec Read(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"the student's answer spec must be a JSON object, not {json.ValueKind}.");
        }

        if (!json.TryGetProperty("format_version", out var version))
        {
            return ReadOldShape(json);
        }

        if (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number))
        {
            throw new JsonException($"\"format_version\" must be a whole number, got {version}.", "$.format_version", null, null);
        }

        return number switch
        {
            StudentAnswerSpec.CurrentFormatVersion => json.Deserialize<StudentAnswerSpec>(Options) ?? throw new JsonException("the spec is empty (null)."),
            OldestHeadFormatVersion => ReadOldShape(json),
            > StudentAnswerSpec.CurrentFormatVersion => throw new JsonException(
                $"format version {number} is newer than this library reads ({OldestHeadFormatVersion} to {StudentAnswerSpec.CurrentFormatVersion}); " +
                "update MLNet.StepDistill to the version that saved the student, or save it again with this version."),
            _ => throw new JsonException($"format version {number} is older than this library reads ({OldestHeadFormatVersion} to {StudentAnswerSpec.CurrentFormatVersion}); train or export the student again."),
        };
    }

    /// <summary>Reads a spec from a stream holding one JSON object (a <c>head.json</c>).</summary>
    /// <exception cref="JsonException">As <see cref="Read(JsonElement)"/>, or the stream is not JSON.</exception>
    public static StudentAnswerSpec Read(Stream stream)
    {
        using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowDuplicateProperties = false });
        return Read(document.RootElement);
    }

    /// <summary>The old student kinds, which format-2 heads stored by number (in this order) and manifests by name.</summary>
    private enum OldStudentKind
    {
        FixedLabels,
        Choices,
        OpenText,
    }

    /// <summary>
    /// A format-2 head or an unversioned manifest section, restated in the current shape: their keys are the spec's (its
    /// enums read by number or by name), but for the old student kind in <c>answer_kind</c> and, in heads, the comparison
    /// in <c>answer_kind_compared</c>, which become the one answer kind.
    /// </summary>
    private static StudentAnswerSpec ReadOldShape(JsonElement json)
    {
        var node = JsonObject.Create(json) ?? throw new JsonException("the student's answer spec is empty (null).");
        var kind = OldKind(node["answer_kind"]);
        var comparison = TaskAnswerKind.Label;
        if (node["answer_kind_compared"] is { } compared)
        {
            comparison = compared.GetValueKind() == JsonValueKind.Number && compared.GetValue<int>() is var number && Enum.IsDefined((TaskAnswerKind)number)
                ? (TaskAnswerKind)number
                : throw new JsonException($"\"answer_kind_compared\" = {compared.ToJsonString()} is not a task answer kind.", "$.answer_kind_compared", null, null);
            node.Remove("answer_kind_compared");
        }

        if (kind == OldStudentKind.FixedLabels && node["labels"] is JsonArray { Count: 0 })
        {
            throw new JsonException("\"labels\" is empty, but the student answers with fixed labels.", "$.labels", null, null);
        }

        if (kind != OldStudentKind.FixedLabels)
        {
            node["labels"] = new JsonArray();
        }

        if (kind == OldStudentKind.Choices && node["choices_column"] is null)
        {
            node["choices_column"] = "Choices";
        }

        node["answer_kind"] = (kind == OldStudentKind.Choices ? TaskAnswerKind.Choice : StudentAnswerSpec.AnswerKindFor(scoresRowChoices: false, comparison)).ToString();
        node["format_version"] = StudentAnswerSpec.CurrentFormatVersion;
        return node.Deserialize<StudentAnswerSpec>(Options) ?? throw new JsonException("the student's answer spec is empty (null).");
    }

    private static OldStudentKind OldKind(JsonNode? value)
    {
        var kind = value?.GetValueKind() switch
        {
            JsonValueKind.Number => (OldStudentKind)value.GetValue<int>(),
            JsonValueKind.String when Enum.TryParse<OldStudentKind>(value.GetValue<string>(), out var named) && !char.IsDigit(value.GetValue<string>()[0]) => named,
            null => OldStudentKind.FixedLabels,
            _ => (OldStudentKind)(-1),
        };
        return Enum.IsDefined(kind)
            ? kind
            : throw new JsonException($"\"answer_kind\" is {value?.ToJsonString()}; use one of {string.Join(", ", Enum.GetNames<OldStudentKind>())}.", "$.answer_kind", null, null);
    }
}
