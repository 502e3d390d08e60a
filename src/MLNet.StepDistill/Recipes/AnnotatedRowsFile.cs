using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Recipes;

/// <summary>
/// The annotated-rows file: what <c>stepdistill annotate --out FILE</c> writes and <c>train</c>, <c>experiment</c> and
/// <c>sweep --annotated FILE</c> train on. JSONL, one <see cref="AnnotatedFileRow"/> a line: <c>v</c> (the format
/// version, <see cref="Version"/>), <c>id</c>, <c>input</c>, <c>rationale</c>, <c>teacherLabel</c>, <c>status</c>,
/// <c>rationales</c>, <c>failureReason</c>, <c>gold</c>, <c>choices</c>, <c>teacherCorrect</c>, <c>votes</c>,
/// <c>samples</c>, <c>promptTokens</c>, <c>completionTokens</c>, <c>tokensEstimated</c>, <c>cachedSamples</c>,
/// <c>cost</c>. Lines without <c>v</c> were written before the format had a version (version 0: the same fields, no
/// <c>rationales</c>) and read as before. Every line stands alone, so lines may be filtered or files concatenated.
/// </summary>
public sealed class AnnotatedRowsFile
{
    /// <summary>The format version this library writes (the <c>v</c> field of every line); it reads 0 (no <c>v</c>) up to this.</summary>
    public const int Version = 1;

    /// <summary>Text as it is (<c>&lt;/s&gt;</c>, accents, dashes), not \u escapes: the file is for people to review too.</summary>
    private static readonly JsonSerializerOptions ReadableJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private AnnotatedRowsFile(string path, string sha256, IReadOnlyList<AnnotatedFileRow> rows)
    {
        Path = path;
        Sha256 = sha256;
        Rows = rows;
    }

    /// <summary>The path the file was read from.</summary>
    public string Path { get; }

    /// <summary>The SHA-256 of the file's bytes, lower-case hex: the file's identity (an experiment's results.json records it).</summary>
    public string Sha256 { get; }

    /// <summary>The rows, in file order.</summary>
    public IReadOnlyList<AnnotatedFileRow> Rows { get; }

    /// <summary>The rows in the trainer's columns (<see cref="AnnotatedFileRow.ToAnnotatedRow"/>), e.g. a training pool.</summary>
    public IReadOnlyList<AnnotatedRow> ToAnnotatedRows() => Rows.Select(r => r.ToAnnotatedRow()).ToArray();

    /// <summary>
    /// Reads <paramref name="path"/>. With <paramref name="schema"/> (the dataset the rows came from), a multiple-choice
    /// dataset's rows must carry their choices.
    /// </summary>
    /// <exception cref="DatasetFormatException">
    /// The file is missing, empty or malformed: the message names the file and, for a bad line, the line and field.
    /// </exception>
    public static AnnotatedRowsFile Read(string path, TaskSchema? schema = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetFormatException(path, null, null,
                $"no such file (write one with `stepdistill annotate --dataset D --split S --out {System.IO.Path.GetFileName(path)}`)", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetFormatException(path, null, null, $"cannot be read: {ex.Message}", ex);
        }

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var rows = new List<AnnotatedFileRow>();
        var lineOfId = new Dictionary<string, long>(StringComparer.Ordinal);
        long lineNumber = 0;
        using var reader = new StreamReader(new MemoryStream(bytes), StrictUtf8, detectEncodingFromByteOrderMarks: true);
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException ex)
            {
                throw new DatasetFormatException(path, lineNumber + 1, null, "not UTF-8 text", ex);
            }

            if (line is null)
            {
                break;
            }

            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var row = ReadLine(path, lineNumber, line, schema);
            if (lineOfId.TryGetValue(row.Id, out var first))
            {
                throw new DatasetFormatException(path, lineNumber, "id", $"\"{row.Id}\" appears more than once (also on line {first})");
            }

            lineOfId.Add(row.Id, lineNumber);
            rows.Add(row);
        }

        return rows.Count > 0
            ? new AnnotatedRowsFile(path, sha256, rows)
            : throw new DatasetFormatException(path, null, null, "the file holds no rows");
    }

    /// <summary>
    /// Writes <paramref name="rows"/> to <paramref name="path"/> as version <see cref="Version"/>, atomically: to a
    /// temporary file beside it, moved into place when complete, so an interrupted write leaves the old file intact (and
    /// the next write removes a killed one's temporary file).
    /// </summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IEnumerable<AnnotatedFileRow> rows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        var full = System.IO.Path.GetFullPath(path);
        // A killed writer's temporary file (its process gone) is deleted first; this one is named by this process.
        StaleTempFiles.DeleteBeside(full);
        var temp = StaleTempFiles.Beside(full);
        try
        {
            using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                foreach (var row in rows)
                {
                    writer.WriteLine(JsonSerializer.Serialize(new
                    {
                        v = Version,
                        id = row.Id,
                        input = row.Input,
                        rationale = row.Rationale,
                        teacherLabel = row.TeacherLabel,
                        status = row.Status,
                        rationales = row.Rationales.ToName(),
                        failureReason = row.FailureReason,
                        gold = row.Gold,
                        choices = row.Choices,
                        teacherCorrect = row.TeacherCorrect,
                        votes = row.Votes,
                        samples = row.Samples,
                        promptTokens = row.PromptTokens,
                        completionTokens = row.CompletionTokens,
                        tokensEstimated = row.TokensEstimated,
                        cachedSamples = row.CachedSamples,
                        cost = row.Cost,
                    }, ReadableJson));
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static AnnotatedFileRow ReadLine(string path, long lineNumber, string line, TaskSchema? schema)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line, StrictJson);
        }
        catch (JsonException ex)
        {
            // JsonException counts lines from 0 within this one line: give the byte and the first sentence only.
            var position = ex.BytePositionInLine is { } b ? $" at byte {b + 1}" : "";
            var problem = ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "a key appears twice in the object" : ex.Message.Split(". ")[0];
            throw new DatasetFormatException(path, lineNumber, null, $"not valid JSON{position}: {problem}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Checking keys for repeats unescapes them: a key with a lone UTF-16 surrogate escape fails there.
            throw new DatasetFormatException(path, lineNumber, null, "a key holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"); it is not text", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, lineNumber, null, "expected a JSON object (a row written by `stepdistill annotate --out`)");
            }

            var fields = new LineFields(path, lineNumber, root);
            var version = fields.Integer("v") ?? 0;
            if (version is < 0 or > Version)
            {
                throw fields.Error("v", version > Version
                    ? $"format version {version} is newer than this stepdistill reads (0 to {Version}); update stepdistill"
                    : $"format version {version} is not one of 0 to {Version}");
            }

            var status = OneOf(fields, "status", fields.Text("status") ?? throw fields.Error("status", "missing"), AnnotationStatus.All);
            var rationales = RationaleMode.TeacherLabel;
            if (fields.Text("rationales") is { } source && !RationaleModeNames.TryParse(source, out rationales))
            {
                throw fields.Error("rationales", $"\"{source}\" is not one of teacher-label, explain-gold");
            }

            var choices = fields.Strings("choices");
            if (schema is { HasChoices: true } && choices.Count == 0)
            {
                throw fields.Error("choices", "missing: this is a multiple-choice dataset; re-run `stepdistill annotate --out`, which writes each row's choices");
            }

            return new AnnotatedFileRow
            {
                Id = fields.Text("id") ?? throw fields.Error("id", "missing"),
                Input = fields.Text("input") ?? throw fields.Error("input", "missing"),
                Rationale = fields.Text("rationale") ?? "",
                TeacherLabel = fields.Text("teacherLabel"),
                Status = status,
                Rationales = rationales,
                FailureReason = fields.Text("failureReason"),
                Gold = fields.Text("gold"),
                Choices = choices,
                TeacherCorrect = fields.Boolean("teacherCorrect"),
                Votes = (int)(fields.Integer("votes") ?? 0),
                Samples = (int)(fields.Integer("samples") ?? 0),
                PromptTokens = fields.Integer("promptTokens") ?? 0,
                CompletionTokens = fields.Integer("completionTokens") ?? 0,
                TokensEstimated = fields.Boolean("tokensEstimated") ?? false,
                CachedSamples = (int)(fields.Integer("cachedSamples") ?? 0),
                Cost = fields.Number("cost"),
            };
        }
    }

    /// <summary>The value spelled as in <paramref name="allowed"/> (case is ignored), or an error naming them.</summary>
    private static string OneOf(LineFields fields, string field, string value, IReadOnlyList<string> allowed) =>
        allowed.FirstOrDefault(a => string.Equals(a, value.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw fields.Error(field, $"\"{value}\" is not one of {string.Join(", ", allowed)}");

    /// <summary>The fields of one line, read with errors that name the file, line and field.</summary>
    private sealed class LineFields(string path, long line, JsonElement root)
    {
        public DatasetFormatException Error(string field, string problem) => new(path, line, field, problem);

        /// <summary>A string (a number is taken as its text, e.g. a numeric id or gold value), or null when absent.</summary>
        public string? Text(string field) => Value(field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => String(field, v),
            { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
            { } v => throw Error(field, $"expected a string, found {Kind(v)}"),
        };

        public IReadOnlyList<string> Strings(string field) => Value(field) switch
        {
            null => [],
            { ValueKind: JsonValueKind.Array } v when v.EnumerateArray().All(c => c.ValueKind == JsonValueKind.String) => v.EnumerateArray().Select(c => String(field, c)).ToArray(),
            { } v => throw Error(field, $"expected an array of strings, found {Kind(v)}"),
        };

        public long? Integer(string field) => Value(field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out var n) && n >= 0 => n,
            { } v => throw Error(field, $"expected a whole number of 0 or more, found {Describe(v)}"),
        };

        public double? Number(string field) => Value(field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            { } v => throw Error(field, $"expected a number, found {Describe(v)}"),
        };

        public bool? Boolean(string field) => Value(field) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { } v => throw Error(field, $"expected true or false, found {Describe(v)}"),
        };

        /// <summary>A JSON string's text; a lone UTF-16 surrogate escape (<c>"\ud800"</c>) is not text.</summary>
        private string String(string field, JsonElement value)
        {
            try
            {
                return value.GetString()!;
            }
            catch (InvalidOperationException ex)
            {
                throw new DatasetFormatException(path, line, field, "holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"); it is not text", ex);
            }
        }

        private JsonElement? Value(string field) =>
            root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

        private static string Describe(JsonElement value) => value.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? string.Create(CultureInfo.InvariantCulture, $"{Kind(value)} {value.GetRawText()}")
            : Kind(value);
    }
}
