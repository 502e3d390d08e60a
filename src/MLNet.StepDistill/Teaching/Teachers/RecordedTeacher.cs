using System.Text.Json;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A teacher that answers from recorded completions (<c>datasets/&lt;name&gt;/teacher/&lt;teacher&gt;/&lt;split&gt;.jsonl</c>,
/// one <c>{"id": ..., "completion": "..."}</c> a line), looked up by <see cref="TeacherPrompt.RowId"/>; the prompt text is
/// not read. There is one recorded completion per row, so asking for several samples gives that one.
/// </summary>
public sealed class RecordedTeacher : ITeacher
{
    private readonly Dictionary<string, string> completions;

    /// <summary>Reads all recorded completions of one file.</summary>
    /// <param name="name">The teacher's name, e.g. <c>"palm-540b"</c>; part of <see cref="CacheIdentity"/>.</param>
    /// <param name="completionsPath">The JSONL file of recorded completions.</param>
    /// <exception cref="DatasetFormatException">The file is missing or malformed, or an id appears twice (the message names file, line and field).</exception>
    public RecordedTeacher(string name, string completionsPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(completionsPath);
        Name = name;
        FilePath = completionsPath;
        completions = ReadCompletions(completionsPath);
    }

    /// <summary>The recorded teacher of a dataset split, as its manifest names it.</summary>
    /// <exception cref="KeyNotFoundException">The manifest records no such teacher or split.</exception>
    public static RecordedTeacher Open(DatasetManifest manifest, string split, string teacherName)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new RecordedTeacher(teacherName, manifest.TeacherPath(teacherName, split));
    }

    /// <summary>The teacher's name, e.g. <c>"palm-540b"</c>.</summary>
    public string Name { get; }

    /// <summary>The file the completions come from.</summary>
    public string FilePath { get; }

    /// <summary>How many completions are recorded.</summary>
    public int Count => completions.Count;

    /// <inheritdoc />
    /// <remarks><c>"recorded:" + name</c>, e.g. <c>"recorded:palm-540b"</c>.</remarks>
    public string CacheIdentity => $"recorded:{Name}";

    /// <summary>The recorded completion of a row, if there is one.</summary>
    public bool TryGetCompletion(string rowId, out string completion) => completions.TryGetValue(rowId, out completion!);

    /// <inheritdoc />
    /// <exception cref="KeyNotFoundException">No completion is recorded for the row id (the message names the file and the id).</exception>
    public Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        cancellationToken.ThrowIfCancellationRequested();
        if (!completions.TryGetValue(prompt.RowId, out var text))
        {
            throw new KeyNotFoundException($"{FilePath}: no recorded completion for id \"{prompt.RowId}\"");
        }

        return Task.FromResult<IReadOnlyList<TeacherCompletion>>([new TeacherCompletion(text)]);
    }

    private static Dictionary<string, string> ReadCompletions(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetFormatException(path, null, null, "no such recorded completions file");
        }

        var completions = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, long>(StringComparer.Ordinal);
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var (id, completion) = ReadLine(path, lineNumber, line);
            if (firstLine.TryGetValue(id, out var first))
            {
                throw new DatasetFormatException(path, lineNumber, "id", $"id \"{id}\" was already recorded on line {first}");
            }

            firstLine[id] = lineNumber;
            completions[id] = completion;
        }

        return completions;
    }

    private static (string Id, string Completion) ReadLine(string path, long lineNumber, string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, lineNumber, null, "expected a JSON object {\"id\", \"completion\"}");
            }

            string Field(string name, bool allowNumber)
            {
                if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    throw new DatasetFormatException(path, lineNumber, name, "missing");
                }

                return value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.Number when allowNumber => value.GetRawText(),
                    _ => throw new DatasetFormatException(path, lineNumber, name, $"expected a string, found {value.ValueKind.ToString().ToLowerInvariant()}"),
                };
            }

            return (Field("id", allowNumber: true), Field("completion", allowNumber: false));
        }
        catch (JsonException ex)
        {
            var position = ex.BytePositionInLine is { } b ? $" at byte {b + 1}" : "";
            throw new DatasetFormatException(path, lineNumber, null, $"not valid JSON{position}: {ex.Message}", ex);
        }
    }
}
