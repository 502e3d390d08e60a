using System.Text.Json;

namespace MLNet.StepDistill.Files;

/// <summary>Where in a JSON file (a model's config.json, an export's manifest.json) a <see cref="JsonException"/> happened, for its message.</summary>
internal static class JsonErrorLocation
{
    /// <summary>" (key a.b) at line L, position P": each part only when the exception knows it (1-based line and position).</summary>
    public static string Describe(JsonException ex)
    {
        var key = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" (key {ex.Path.TrimStart('$', '.')})";
        var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
        return key + where;
    }
}
