using System.Text.Json.Nodes;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The JSON schema of a structured teacher completion (<see cref="TeacherResponseFormat.Json"/>):
/// <c>{"rationale": string, "label": string}</c>, both required, nothing else; the label an enum of the closed label
/// set or of the row's choices where there is one. The rationale comes first so the model reasons before it answers.
/// </summary>
public static class AnswerSchema
{
    /// <summary>The instruction sent with the schema (in the system message), so that the model knows what the fields mean.</summary>
    public const string Instruction = "Reply with a JSON object: \"rationale\" (your step-by-step reasoning) and then \"label\" (the answer alone).";

    /// <summary>The schema, as JSON text, for one row of a dataset.</summary>
    public static string For(TaskSchema schema, TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(example);
        var label = new JsonObject { ["type"] = "string" };
        var allowed = schema.Family.HasChoices ? example.Choices : schema.Family.ClosedLabels(schema);
        if (allowed is { Count: > 0 })
        {
            label["enum"] = new JsonArray(allowed.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
        }
        else if (schema.Family.AnswerKind == TaskAnswerKind.Equation)
        {
            label["description"] = "an arithmetic expression whose value is the answer, e.g. (21 - 15)";
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["rationale"] = new JsonObject { ["type"] = "string" }, ["label"] = label },
            ["required"] = new JsonArray("rationale", "label"),
            ["additionalProperties"] = false,
        }.ToJsonString();
    }
}
