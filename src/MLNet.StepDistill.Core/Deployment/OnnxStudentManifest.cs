using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.Deployment;

/// <summary>
/// The <c>manifest.json</c> of an exported ONNX student folder: what the graphs are, how the student answers (task
/// prefixes, classes or open text, lengths) and the special token ids. Written by the TorchSharp exporter
/// (<c>ExportOnnx</c>) and read by the ONNX runtime package; neither side needs the other.
/// </summary>
public sealed record OnnxStudentManifest
{
    /// <summary>The file name inside an exported folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>
    /// The manifest format this library writes. Format 1: the decoder graph returns <c>logits</c> only. Format 2 adds the
    /// decoder input <c>target_ids</c> and output <c>target_log_probs</c> (each target id's log-probability, the
    /// log-softmax and the gather done inside the graph), which class scoring reads instead of the logits. Format 3 (the
    /// same graphs as 2) writes the <c>"student"</c> section as the student's <see cref="StudentAnswerSpec"/>, the shape of
    /// a model zip's <c>head.json</c>. This library reads all three (<see cref="OldestFormatVersion"/> to this).
    /// </summary>
    public const int CurrentFormatVersion = 3;

    /// <summary>The oldest manifest format this library still reads (folders exported before <c>target_log_probs</c>).</summary>
    public const int OldestFormatVersion = 1;

    /// <summary>The first format whose decoder graph returns <c>target_log_probs</c> (see <see cref="CurrentFormatVersion"/>).</summary>
    public const int TargetLogProbsFormatVersion = 2;

    /// <summary>The encoder graph's file name.</summary>
    public const string EncoderFileName = "encoder.onnx";

    /// <summary>The decoder graph's file name.</summary>
    public const string DecoderFileName = "decoder.onnx";

    /// <summary>The tokenizer's file name.</summary>
    public const string TokenizerFileName = "spiece.model";

    /// <summary>Format version (<see cref="OldestFormatVersion"/> to <see cref="CurrentFormatVersion"/>).</summary>
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>What wrote the folder (e.g. "MLNet.StepDistill 0.1.0").</summary>
    [JsonPropertyName("producer")] public string Producer { get; init; } = "";

    /// <summary>The ONNX opset of the graphs.</summary>
    [JsonPropertyName("opset")] public int Opset { get; init; }

    /// <summary>The model's architecture facts the runtime needs.</summary>
    [JsonPropertyName("model")] public OnnxModelFacts Model { get; init; } = new();

    /// <summary>
    /// How the student answers rows, in the shape of a model zip's <c>head.json</c>; null for a plain T5 export
    /// (generation and scoring only). Student sections of format 1 and 2 manifests are read too (<see cref="StudentAnswerSpecJson"/>).
    /// </summary>
    [JsonPropertyName("student")]
    [JsonConverter(typeof(StudentSectionConverter))]
    public StudentAnswerSpec? Student { get; init; }

    /// <summary>
    /// Whether the decoder graph takes <c>target_ids</c> and returns <c>target_log_probs</c> (format 2 and later); a
    /// format-1 folder returns logits only, and its candidates are scored from them.
    /// </summary>
    [JsonIgnore] public bool DecoderScoresTargets => FormatVersion >= TargetLogProbsFormatVersion;

    /// <summary>Reads and checks <c>manifest.json</c> of <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder, the manifest or a file it names is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">The manifest is not valid JSON or holds an unusable value (the message names the file and key).</exception>
    public static OnnxStudentManifest Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new FileNotFoundException($"ONNX student folder not found: {folder}", folder);
        }

        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{folder}: no {FileName}; is this a folder written by ExportOnnx / stepdistill export-onnx?", path);
        }

        OnnxStudentManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<OnnxStudentManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: invalid manifest{JsonErrorLocation.Describe(ex)}: {ex.Message}", ex);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"{path}: the manifest is empty (null).");
        }

        manifest.Validate(path);
        foreach (var file in new[] { EncoderFileName, DecoderFileName, TokenizerFileName })
        {
            if (!File.Exists(Path.Combine(folder, file)))
            {
                throw new FileNotFoundException($"{folder}: {file} is missing (the manifest needs encoder.onnx, decoder.onnx and spiece.model beside it).", Path.Combine(folder, file));
            }
        }

        return manifest;
    }

    /// <summary>Writes the manifest as <c>manifest.json</c> into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        Validate(Path.Combine(folder, FileName));
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, JsonOptions));
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private void Validate(string path)
    {
        if (FormatVersion > CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"{path}: key \"format_version\" is {FormatVersion} (written by {(string.IsNullOrEmpty(Producer) ? "an unknown producer" : Producer)}); this library reads " +
                $"formats {OldestFormatVersion} to {CurrentFormatVersion}. Update MLNet.StepDistill.Onnx to the version that exported the folder, or export it again with this version.");
        }

        if (FormatVersion < OldestFormatVersion)
        {
            throw new InvalidDataException($"{path}: key \"format_version\" is {FormatVersion}; formats start at {OldestFormatVersion} (this library reads {OldestFormatVersion} to {CurrentFormatVersion}).");
        }

        if (Opset < 17)
        {
            throw new InvalidDataException($"{path}: key \"opset\" is {Opset}; the graphs need opset 17 or newer.");
        }

        Model.Validate(path);
        if (Student?.Problem("student.") is { } problem)
        {
            throw new InvalidDataException($"{path}: {problem}.");
        }
    }

    /// <summary>Reads the student section in any of its shapes (<see cref="StudentAnswerSpecJson.Read(JsonElement)"/>) and writes the current one.</summary>
    private sealed class StudentSectionConverter : JsonConverter<StudentAnswerSpec>
    {
        public override StudentAnswerSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            try
            {
                return StudentAnswerSpecJson.Read(document.RootElement);
            }
            catch (JsonException ex)
            {
                // The section's own key paths ($.labels) restated under the manifest's (student.labels).
                throw new JsonException($"key \"student{ex.Path?.TrimStart('$')}\": {ex.Message.Split(" Path:", 2)[0]}", ex);
            }
        }

        public override void Write(Utf8JsonWriter writer, StudentAnswerSpec value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, options);
    }
}

/// <summary>Architecture facts of an exported T5 (all from its <c>config.json</c>).</summary>
public sealed record OnnxModelFacts
{
    /// <summary>Vocabulary size (width of the logits).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }

    /// <summary>Decoder blocks: the number of past/present key-value pairs of the decoder graph.</summary>
    [JsonPropertyName("decoder_layers")] public int DecoderLayers { get; init; }

    /// <summary>Attention heads.</summary>
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; }

    /// <summary>Width of one head.</summary>
    [JsonPropertyName("d_kv")] public int DKv { get; init; }

    /// <summary>Width of the hidden states.</summary>
    [JsonPropertyName("d_model")] public int DModel { get; init; }

    /// <summary>Padding token id.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    /// <summary>End-of-sequence token id.</summary>
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 1;

    /// <summary>First decoder input.</summary>
    [JsonPropertyName("decoder_start_token_id")] public int DecoderStartTokenId { get; init; }

    internal void Validate(string path)
    {
        foreach (var (key, value) in new[] { ("model.vocab_size", VocabSize), ("model.decoder_layers", DecoderLayers), ("model.num_heads", NumHeads), ("model.d_kv", DKv), ("model.d_model", DModel) })
        {
            if (value <= 0)
            {
                throw new InvalidDataException($"{path}: key \"{key}\" must be positive, got {value}.");
            }
        }

        foreach (var (key, id) in new[] { ("model.pad_token_id", PadTokenId), ("model.eos_token_id", EosTokenId), ("model.decoder_start_token_id", DecoderStartTokenId) })
        {
            if (id < 0 || id >= VocabSize)
            {
                throw new InvalidDataException($"{path}: key \"{key}\" = {id} is outside the vocabulary (vocab_size {VocabSize}).");
            }
        }
    }
}
