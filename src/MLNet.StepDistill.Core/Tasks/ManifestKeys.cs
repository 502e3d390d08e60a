using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The keys a <c>dataset.json</c> may hold, and the error for one it may not: the file, the line, the key and the
/// nearest valid key by edit distance ("did you mean targetField?") instead of the JSON serializer's .NET type names.
/// </summary>
internal static class ManifestKeys
{
    /// <summary>Top-level keys the prompt reads that the manifest document may not declare yet; listed so a misspelling of them is suggested too.</summary>
    private static readonly string[] PromptKeys = ["labelDescriptions", "exemplars"];

    /// <summary>The first key of <paramref name="json"/> that is not a manifest key (top level, or inside <c>completion</c>), as an error; null when every key is known or the JSON cannot be walked.</summary>
    /// <param name="json">The manifest's UTF-8 bytes.</param>
    /// <param name="file">The manifest file, for the message.</param>
    /// <param name="rootDocument">The type the top level deserializes to.</param>
    /// <param name="completionDocument">The type <c>completion</c> deserializes to.</param>
    /// <param name="inner">The serializer's error, kept as the inner exception.</param>
    public static DatasetFormatException? FirstUnknown(byte[] json, string file, Type rootDocument, Type completionDocument, Exception inner)
    {
        var rootKeys = KeysOf(rootDocument).Concat(PromptKeys).Distinct(StringComparer.Ordinal).ToArray();
        var completionKeys = KeysOf(completionDocument);
        var bom = json.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? 3 : 0;
        var reader = new Utf8JsonReader(json.AsSpan(bom), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        string? topKey = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var (known, field) = reader.CurrentDepth switch
                {
                    1 => (rootKeys, (string?)null),
                    2 when topKey == "completion" => (completionKeys, "completion"),
                    _ => (null, null),
                };
                var key = reader.GetString()!;
                if (reader.CurrentDepth == 1)
                {
                    topKey = key;
                }

                if (known is not null && !known.Contains(key, StringComparer.Ordinal))
                {
                    var line = 1 + json.AsSpan(bom, (int)reader.TokenStartIndex).Count((byte)'\n');
                    var suggestion = Nearest(key, known) is { } near ? $"; did you mean \"{near}\"?" : "";
                    var where = field is null ? "" : $" in \"{field}\"";
                    return new DatasetFormatException(file, line, field is null ? key : $"{field}.{key}",
                        $"unknown key{where}{suggestion} (the keys are: {string.Join(", ", known)})", inner);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Malformed JSON (or a key that is not text): the serializer's own error says where.
        }

        return null;
    }

    /// <summary>The JSON names a document type declares (its <see cref="JsonPropertyNameAttribute"/>s), in declaration order.</summary>
    private static string[] KeysOf(Type document) =>
        document.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
            .OfType<string>()
            .ToArray();

    /// <summary>The known key nearest to <paramref name="key"/> (case-insensitive edit distance, a swap of neighbours counting one), when it is near enough to be a misspelling.</summary>
    internal static string? Nearest(string key, IReadOnlyList<string> known)
    {
        var best = known.Select(k => (Key: k, Distance: EditDistance(key.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        var allowed = Math.Clamp(key.Length / 3, 1, 3);
        return best.Key is not null && best.Distance <= allowed ? best.Key : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours cost one each.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
