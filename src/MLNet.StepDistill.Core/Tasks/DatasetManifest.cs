using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A dataset's <c>dataset.json</c>: its name, <see cref="TaskSchema"/> (which field is what), split files and recorded
/// teacher completion files. Paths in the manifest are relative to the folder that holds it.
/// </summary>
public sealed record DatasetManifest
{
    /// <summary>The file name a dataset folder's manifest has.</summary>
    public const string FileName = "dataset.json";

    /// <summary>The dataset's name, e.g. <c>"cqa"</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Which field plays which role.</summary>
    public required TaskSchema Schema { get; init; }

    /// <summary>Split name -> absolute path of its data file (<c>.jsonl</c> or <c>.csv</c>).</summary>
    public required IReadOnlyDictionary<string, string> Splits { get; init; }

    /// <summary>Teacher name -> split name -> absolute path of its recorded completions (<c>{"id", "completion"}</c> JSONL).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Teachers { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Where the teacher's completions hold rationale and answer; the family default unless the manifest says otherwise.</summary>
    public required CompletionMarkers Completion { get; init; }

    /// <summary>What the task is, in words (<c>description</c>); the teacher's prompt says it. Null when not given.</summary>
    public string? Description { get; init; }

    /// <summary>Label -&gt; what it means (<c>labelDescriptions</c>); each appears in the teacher's prompt. Null when not given.</summary>
    public IReadOnlyDictionary<string, string>? LabelDescriptions { get; init; }

    /// <summary>
    /// The absolute path of the dataset's few-shot exemplar file (<c>exemplars</c>, relative to the dataset folder in
    /// the manifest; the format of <see cref="ExemplarFile"/>), or null for the family's default exemplars.
    /// </summary>
    public string? ExemplarsPath { get; init; }

    /// <summary>The manifest file this was read from, or null when built in code.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The split training takes when none is named: <c>train</c>, or <c>valid</c> where the dataset has no train split (anli1, esnli).</summary>
    public string DefaultTrainSplit => Splits.ContainsKey("train") ? "train" : "valid";

    /// <summary>The family, for short: <c>Schema.Family</c>.</summary>
    public TaskFamily Family => Schema.Family;

    /// <summary>Reads a manifest from a <c>dataset.json</c> file or from the folder that holds one.</summary>
    /// <exception cref="DatasetFormatException">The file is missing, is not valid UTF-8 JSON or repeats a key (the message gives line and byte position), or its content is incomplete or inconsistent.</exception>
    public static DatasetManifest Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new DatasetFormatException(file, null, null, $"no such manifest file (a dataset folder needs a {FileName})");
        }

        var bytes = File.ReadAllBytes(file);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
            var line = 1 + bytes.AsSpan(0, read).Count((byte)'\n');
            throw new DatasetFormatException(file, line, null, $"invalid UTF-8 at byte {read + 1} of the file ({status}); the manifest must be UTF-8 text");
        }

        ManifestDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<ManifestDocument>(bytes, JsonOptions);
        }
        catch (JsonException ex)
        {
            // A key the manifest does not know: name it, its line and the nearest valid key, not the serializer's .NET types.
            if (ManifestKeys.FirstUnknown(bytes, file, typeof(ManifestDocument), typeof(CompletionDocument), ex) is { } unknown)
            {
                throw unknown;
            }

            long? line = ex.LineNumber is { } l ? l + 1 : null;
            var position = ex.BytePositionInLine is { } b ? $" (byte {b + 1} of the line)" : "";
            var at = ex.Path is { Length: > 1 } p ? $" at {p}" : "";
            var problem = ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                ? "a key appears twice in one object"
                : ex.Message.Split(" Path:", 2)[0].TrimEnd();
            throw new DatasetFormatException(file, line, null, $"not a valid manifest{at}{position}: {problem}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            // e.g. a lone UTF-16 surrogate escape ("\ud800") in a string.
            throw new DatasetFormatException(file, null, null, $"not a valid manifest: {ex.Message}", ex);
        }

        if (doc is null)
        {
            throw new DatasetFormatException(file, null, null, "the manifest is empty (null); expected a JSON object");
        }

        return FromDocument(doc, file);
    }

    private static DatasetManifest FromDocument(ManifestDocument doc, string file)
    {
        void Fail(string field, string problem) => throw new DatasetFormatException(file, null, field, problem);
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;

        if (string.IsNullOrWhiteSpace(doc.Name))
        {
            Fail("name", "missing: give the dataset a name");
        }

        if (!TaskFamily.TryParse(doc.Family, out var family))
        {
            Fail("family", $"\"{doc.Family}\" is not a task family; use one of {string.Join(", ", TaskFamily.Names)} (a family of your own must be registered with TaskFamily.Register first)");
        }

        var schema = new TaskSchema
        {
            Family = family,
            IdField = doc.IdField ?? "",
            InputFields = doc.InputFields ?? [],
            ChoicesField = doc.ChoicesField,
            ChoiceFields = doc.ChoiceFields,
            ChoicesSeparator = doc.ChoicesSeparator ?? TaskSchema.DefaultChoicesSeparator,
            TargetField = doc.TargetField,
            RationaleField = doc.RationaleField,
            Labels = doc.Labels,
        };
        schema.Validate(file);

        if (doc.Splits is not { Count: > 0 })
        {
            Fail("splits", "must map at least one split name to its data file, e.g. {\"train\": \"train.jsonl\"}");
        }

        var splits = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (split, relative) in doc.Splits!)
        {
            if (string.IsNullOrWhiteSpace(relative))
            {
                Fail($"splits.{split}", "must name a data file");
            }

            var ext = Path.GetExtension(relative).ToLowerInvariant();
            if (ext is not (".jsonl" or ".csv"))
            {
                Fail($"splits.{split}", $"\"{relative}\" must end in .jsonl or .csv (the extension chooses the reader)");
            }

            splits[split] = Path.GetFullPath(Path.Combine(folder, relative));
        }

        var teachers = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (teacher, files) in doc.Teachers ?? [])
        {
            var perSplit = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (split, relative) in files ?? [])
            {
                if (!splits.ContainsKey(split))
                {
                    Fail($"teachers.{teacher}.{split}", $"split \"{split}\" is not among the splits ({string.Join(", ", splits.Keys)})");
                }

                if (string.IsNullOrWhiteSpace(relative) || !relative.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                {
                    Fail($"teachers.{teacher}.{split}", "must name a .jsonl file of {\"id\", \"completion\"} rows");
                }

                perSplit[split] = Path.GetFullPath(Path.Combine(folder, relative));
            }

            teachers[teacher] = perSplit;
        }

        var markers = CompletionMarkers.DefaultFor(family);
        if (doc.Completion is { } c)
        {
            if (string.IsNullOrWhiteSpace(c.AnswerMarker))
            {
                Fail("completion.answerMarker", "must not be empty, e.g. \"So the answer is\"");
            }

            markers = new CompletionMarkers(c.AnswerMarker!, string.IsNullOrEmpty(c.CutAt) ? null : c.CutAt);
        }

        if (doc.LabelDescriptions is { } described)
        {
            foreach (var (label, meaning) in described)
            {
                if (schema.Labels is { } labels && !labels.Contains(label, StringComparer.Ordinal))
                {
                    Fail($"labelDescriptions.{label}", $"\"{label}\" is not one of the labels ({string.Join(", ", labels)})");
                }

                if (string.IsNullOrWhiteSpace(meaning))
                {
                    Fail($"labelDescriptions.{label}", "must say what the label means");
                }
            }
        }

        string? exemplars = null;
        if (doc.Exemplars is { } relativeExemplars)
        {
            if (string.IsNullOrWhiteSpace(relativeExemplars) || !relativeExemplars.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                Fail("exemplars", "must name a .json file of {\"exemplars\": [...]} (relative to the dataset folder)");
            }

            exemplars = Path.GetFullPath(Path.Combine(folder, relativeExemplars));
            if (!File.Exists(exemplars))
            {
                Fail("exemplars", $"no such file: {exemplars}");
            }
        }

        return new DatasetManifest
        {
            Name = doc.Name!,
            Description = string.IsNullOrWhiteSpace(doc.Description) ? null : doc.Description.Trim(),
            LabelDescriptions = doc.LabelDescriptions,
            ExemplarsPath = exemplars,
            Schema = schema,
            Splits = splits,
            Teachers = teachers,
            Completion = markers,
            SourcePath = file,
        };
    }

    /// <summary>The data file of a split.</summary>
    /// <exception cref="KeyNotFoundException">The manifest has no such split (the message lists those it has).</exception>
    public string SplitPath(string split) =>
        Splits.TryGetValue(split, out var path)
            ? path
            : throw new KeyNotFoundException($"{SourcePath ?? Name}: no split \"{split}\"; it has {string.Join(", ", Splits.Keys)}");

    /// <summary>The recorded completions of one teacher for one split.</summary>
    /// <exception cref="KeyNotFoundException">The manifest records no such teacher or split (the message lists those it has).</exception>
    public string TeacherPath(string teacher, string split)
    {
        if (!Teachers.TryGetValue(teacher, out var perSplit))
        {
            var known = Teachers.Count == 0 ? "none" : string.Join(", ", Teachers.Keys);
            throw new KeyNotFoundException($"{SourcePath ?? Name}: no recorded teacher \"{teacher}\"; it has {known}");
        }

        return perSplit.TryGetValue(split, out var path)
            ? path
            : throw new KeyNotFoundException($"{SourcePath ?? Name}: teacher \"{teacher}\" has no recorded split \"{split}\"; it has {string.Join(", ", perSplit.Keys)}");
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed class ManifestDocument
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("family")] public string? Family { get; set; }
        [JsonPropertyName("idField")] public string? IdField { get; set; }
        [JsonPropertyName("inputFields")] public string[]? InputFields { get; set; }
        [JsonPropertyName("choicesField")] public string? ChoicesField { get; set; }
        [JsonPropertyName("choiceFields")] public string[]? ChoiceFields { get; set; }
        [JsonPropertyName("choicesSeparator")] public string? ChoicesSeparator { get; set; }
        [JsonPropertyName("targetField")] public string? TargetField { get; set; }
        [JsonPropertyName("rationaleField")] public string? RationaleField { get; set; }
        [JsonPropertyName("labels")] public string[]? Labels { get; set; }
        [JsonPropertyName("splits")] public Dictionary<string, string>? Splits { get; set; }
        [JsonPropertyName("teachers")] public Dictionary<string, Dictionary<string, string>?>? Teachers { get; set; }
        [JsonPropertyName("completion")] public CompletionDocument? Completion { get; set; }
        [JsonPropertyName("description")] public string? Description { get; set; }
        [JsonPropertyName("labelDescriptions")] public Dictionary<string, string>? LabelDescriptions { get; set; }
        [JsonPropertyName("exemplars")] public string? Exemplars { get; set; }
    }

    private sealed class CompletionDocument
    {
        [JsonPropertyName("answerMarker")] public string? AnswerMarker { get; set; }
        [JsonPropertyName("cutAt")] public string? CutAt { get; set; }
    }
}
