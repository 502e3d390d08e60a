using System.Text.Json;
using System.Text.Json.Serialization;

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
    /// log-softmax and the gather done inside the graph), which class scoring reads instead of the logits. This library
    /// reads both (<see cref="OldestFormatVersion"/> to this).
    /// </summary>
    public const int CurrentFormatVersion = 2;

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

    /// <summary>How the student answers rows; null for a plain T5 export (generation and scoring only).</summary>
    [JsonPropertyName("student")] public OnnxStudentFacts? Student { get; init; }

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
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : "";
            var key = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" (key {ex.Path.TrimStart('$', '.')})";
            throw new InvalidDataException($"{path}: invalid manifest{key}{where}: {ex.Message}", ex);
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
        Student?.Validate(path);
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

/// <summary>How an exported distilled student answers rows (the TorchSharp student's head, saved with it).</summary>
public sealed record OnnxStudentFacts
{
    /// <summary>How it was trained: <c>StepByStep</c>, <c>Standard</c> or <c>SingleTask</c>.</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = "StepByStep";

    /// <summary>What it answers: <c>FixedLabels</c>, <c>Choices</c> (the row's own choices) or <c>OpenText</c>.</summary>
    [JsonPropertyName("answer_kind")] public string AnswerKind { get; init; } = "FixedLabels";

    /// <summary>The task family the student was trained on, when known (e.g. <c>nli</c>, <c>cqa</c>, <c>math</c>).</summary>
    [JsonPropertyName("task_family")] public string? TaskFamily { get; init; }

    /// <summary>The class labels (FixedLabels).</summary>
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];

    /// <summary>How many choices are scored (Choices).</summary>
    [JsonPropertyName("choice_count")] public int ChoiceCount { get; init; }

    /// <summary>The ML.NET column the input text comes from.</summary>
    [JsonPropertyName("input_column")] public string InputColumn { get; init; } = "Input";

    /// <summary>The ML.NET column holding each row's choices (Choices).</summary>
    [JsonPropertyName("choices_column")] public string? ChoicesColumn { get; init; }

    /// <summary>The input format: the prefix of the label task (<c>"predict: "</c>), prepended to the formatted input.</summary>
    [JsonPropertyName("predict_prefix")] public string PredictPrefix { get; init; } = "predict: ";

    /// <summary>The input format: the prefix of the rationale task (<c>"explain: "</c>).</summary>
    [JsonPropertyName("explain_prefix")] public string ExplainPrefix { get; init; } = "explain: ";

    /// <summary>What joins rationale and label in single-task outputs (<c>" So the answer is "</c>).</summary>
    [JsonPropertyName("answer_marker")] public string AnswerMarker { get; init; } = " So the answer is ";

    /// <summary>Longest input in tokens (longer ones are cut, EOS kept).</summary>
    [JsonPropertyName("max_input_length")] public int MaxInputLength { get; init; }

    /// <summary>Longest target in tokens; also the generation limit.</summary>
    [JsonPropertyName("max_target_length")] public int MaxTargetLength { get; init; }

    /// <summary>Whether the saved transformer generated rationales.</summary>
    [JsonPropertyName("generate_rationale")] public bool GenerateRationale { get; init; }

    /// <summary>
    /// How a candidate's token log-likelihoods add up to its score: <c>"Sum"</c> (exports without the key), <c>"Mean"</c>
    /// (per token) or <c>"FirstToken"</c> (the first token's alone).
    /// </summary>
    [JsonPropertyName("score_aggregation")] public string ScoreAggregation { get; init; } = "Sum";

    internal void Validate(string path)
    {
        string[] modes = ["StepByStep", "Standard", "SingleTask"];
        string[] kinds = ["FixedLabels", "Choices", "OpenText"];
        if (!modes.Contains(Mode))
        {
            throw new InvalidDataException($"{path}: key \"student.mode\" is \"{Mode}\"; use one of {string.Join(", ", modes)}.");
        }

        if (!kinds.Contains(AnswerKind))
        {
            throw new InvalidDataException($"{path}: key \"student.answer_kind\" is \"{AnswerKind}\"; use one of {string.Join(", ", kinds)}.");
        }

        if (ScoreAggregation is not ("Sum" or "Mean" or "FirstToken"))
        {
            throw new InvalidDataException($"{path}: key \"student.score_aggregation\" is \"{ScoreAggregation}\"; use Sum, Mean or FirstToken.");
        }

        if (AnswerKind == "FixedLabels" && Labels.Length == 0)
        {
            throw new InvalidDataException($"{path}: key \"student.labels\" is empty; a FixedLabels student needs its labels.");
        }

        if (AnswerKind == "Choices" && (ChoiceCount <= 0 || string.IsNullOrEmpty(ChoicesColumn)))
        {
            throw new InvalidDataException($"{path}: a Choices student needs a positive \"student.choice_count\" and a \"student.choices_column\".");
        }

        if (MaxInputLength <= 0 || MaxTargetLength <= 0)
        {
            throw new InvalidDataException($"{path}: keys \"student.max_input_length\" and \"student.max_target_length\" must be positive.");
        }
    }
}
