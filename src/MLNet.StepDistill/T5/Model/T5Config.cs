using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The architecture of a T5 model, as Hugging Face writes it in <c>config.json</c>. Keys missing from the file take
/// Hugging Face's defaults (the file is often written in "diff" format, leaving defaults out).
/// </summary>
public sealed class T5Config
{
    /// <summary>Largest <c>vocab_size</c> accepted (2^20; mT5's 250,112 fits).</summary>
    public const int MaxVocabSize = 1 << 20;

    /// <summary>Largest <c>d_model</c>, <c>d_ff</c> and <c>num_heads * d_kv</c> accepted (2^18; T5-11B's d_ff is 65,536).</summary>
    public const int MaxWidth = 1 << 18;

    /// <summary>Largest <c>num_layers</c> and <c>num_decoder_layers</c> accepted.</summary>
    public const int MaxLayers = 256;

    /// <summary>Largest <c>num_heads</c> accepted.</summary>
    public const int MaxHeads = 1024;

    /// <summary>Largest <c>relative_attention_num_buckets</c> accepted.</summary>
    public const int MaxRelativeBuckets = 4096;

    /// <summary>Largest <c>relative_attention_max_distance</c> accepted.</summary>
    public const int MaxRelativeDistance = 1 << 20;

    /// <summary>Largest number of parameters a config may describe (20 billion; T5-11B has 11 billion).</summary>
    public const long MaxParameters = 20_000_000_000;

    /// <summary>Largest <c>config.json</c> read (1 MiB; Hugging Face's are a few KiB).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Size of the token vocabulary (rows of <c>shared.weight</c>). HF default 32128.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; set; } = 32128;

    /// <summary>Width of the hidden states. HF default 512.</summary>
    [JsonPropertyName("d_model")] public int DModel { get; set; } = 512;

    /// <summary>Width of one attention head. HF default 64.</summary>
    [JsonPropertyName("d_kv")] public int DKv { get; set; } = 64;

    /// <summary>Inner width of the feed-forward layers. HF default 2048.</summary>
    [JsonPropertyName("d_ff")] public int DFf { get; set; } = 2048;

    /// <summary>Number of encoder blocks. HF default 6.</summary>
    [JsonPropertyName("num_layers")] public int NumLayers { get; set; } = 6;

    /// <summary>Number of decoder blocks; <c>null</c> (absent) means the same as <see cref="NumLayers"/>.</summary>
    [JsonPropertyName("num_decoder_layers")] public int? NumDecoderLayers { get; set; }

    /// <summary>Number of attention heads. HF default 8.</summary>
    [JsonPropertyName("num_heads")] public int NumHeads { get; set; } = 8;

    /// <summary>Number of relative-position buckets. HF default 32.</summary>
    [JsonPropertyName("relative_attention_num_buckets")] public int RelativeAttentionNumBuckets { get; set; } = 32;

    /// <summary>Distance beyond which relative positions share the last bucket. HF default 128.</summary>
    [JsonPropertyName("relative_attention_max_distance")] public int RelativeAttentionMaxDistance { get; set; } = 128;

    /// <summary>Dropout probability used in training. HF default 0.1.</summary>
    [JsonPropertyName("dropout_rate")] public double DropoutRate { get; set; } = 0.1;

    /// <summary>Epsilon of the RMS layer norm. HF default 1e-6.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; set; } = 1e-6;

    /// <summary>Initialisation scale used for fresh weights. HF default 1.0.</summary>
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; set; } = 1.0;

    /// <summary>
    /// Feed-forward kind: <c>"relu"</c> (T5 v1.0), <c>"gated-gelu"</c> (T5 v1.1, Flan-T5), or in general
    /// <c>"&lt;act&gt;"</c> / <c>"gated-&lt;act&gt;"</c> as Hugging Face parses it. HF default "relu".
    /// </summary>
    [JsonPropertyName("feed_forward_proj")] public string FeedForwardProj { get; set; } = "relu";

    /// <summary>Whether <c>lm_head</c> shares <c>shared.weight</c> (and the decoder output is scaled by d_model^-0.5). HF default true.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; set; } = true;

    /// <summary>Padding token id. HF default 0.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; set; }

    /// <summary>End-of-sequence token id. HF default 1.</summary>
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; set; } = 1;

    /// <summary>First decoder input token. HF default 0.</summary>
    [JsonPropertyName("decoder_start_token_id")] public int DecoderStartTokenId { get; set; }

    /// <summary>Model family; must be <c>"t5"</c> when present.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "t5";

    /// <summary>Keys this class does not model (e.g. <c>architectures</c>, <c>task_specific_params</c>); kept and written back.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>Number of decoder blocks after applying the HF default (equal to <see cref="NumLayers"/> when absent).</summary>
    [JsonIgnore] public int DecoderLayerCount => NumDecoderLayers ?? NumLayers;

    /// <summary>Whether the feed-forward is gated (<c>wi_0</c>, <c>wi_1</c>, <c>wo</c>) rather than plain (<c>wi</c>, <c>wo</c>).</summary>
    [JsonIgnore] public bool IsGatedAct => ParseFeedForward(FeedForwardProj).Gated;

    /// <summary>The feed-forward activation name as HF maps it (<c>"gated-gelu"</c> gives <c>"gelu_new"</c>).</summary>
    [JsonIgnore] public string DenseActFn => ParseFeedForward(FeedForwardProj).Activation;

    /// <summary>Reads a Hugging Face <c>config.json</c>; missing keys take HF defaults.</summary>
    /// <exception cref="ModelFormatException">The file is not valid UTF-8 JSON (or repeats a key), is not a T5 config, or holds an unusable value or one beyond the limits (the message names the key and file).</exception>
    public static T5Config Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"T5 config not found: {path}", path);
        }

        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
        {
            throw new ModelFormatException(path, $"the config is {length} bytes; a T5 config.json is at most {MaxFileBytes} bytes.");
        }

        T5Config? config;
        try
        {
            config = JsonSerializer.Deserialize<T5Config>(File.ReadAllBytes(path), StrictJson);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"invalid T5 config{JsonErrorLocation.Describe(ex)}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException or FormatException or OverflowException)
        {
            // e.g. text that is not valid UTF-8, or a lone UTF-16 surrogate escape.
            throw new ModelFormatException(path, $"invalid T5 config: {ex.Message}", ex);
        }

        if (config is null)
        {
            throw new ModelFormatException(path, "the config is empty (null).");
        }

        config.Validate(path);
        return config;
    }

    /// <summary>Writes this config as <c>config.json</c> with Hugging Face key names (all keys written, plus <c>model_type</c> and <c>architectures</c>).</summary>
    public void Save(string path)
    {
        Validate(path);
        var extra = Extra is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement>(Extra);
        extra.TryAdd("architectures", JsonSerializer.SerializeToElement(new[] { "T5ForConditionalGeneration" }));
        extra.TryAdd("is_encoder_decoder", JsonSerializer.SerializeToElement(true));
        extra["dense_act_fn"] = JsonSerializer.SerializeToElement(DenseActFn);
        extra["is_gated_act"] = JsonSerializer.SerializeToElement(IsGatedAct);
        var copy = Clone();
        copy.NumDecoderLayers = DecoderLayerCount;
        copy.Extra = extra;
        File.WriteAllText(path, JsonSerializer.Serialize(copy, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A deep copy.</summary>
    public T5Config Clone()
    {
        var copy = (T5Config)MemberwiseClone();
        copy.Extra = Extra is null ? null : new Dictionary<string, JsonElement>(Extra);
        return copy;
    }

    /// <summary>
    /// Checks the values a model needs and the documented limits (<see cref="MaxVocabSize"/>, <see cref="MaxWidth"/>,
    /// <see cref="MaxLayers"/>, <see cref="MaxHeads"/>, <see cref="MaxRelativeBuckets"/>, <see cref="MaxRelativeDistance"/>,
    /// <see cref="MaxParameters"/>); <paramref name="source"/> names the file (or preset) in the message.
    /// </summary>
    /// <exception cref="ModelFormatException">A value is unusable or beyond a limit; the message names the key, the value and the source.</exception>
    public void Validate(string source)
    {
        if (!string.Equals(ModelType, "t5", StringComparison.Ordinal))
        {
            throw new ModelFormatException(source, $"key \"model_type\" is \"{ModelType}\"; only \"t5\" models are supported.");
        }

        try
        {
            _ = ParseFeedForward(FeedForwardProj);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException(source, $"key \"feed_forward_proj\": {ex.Message}", ex);
        }

        RequireInRange(VocabSize, "vocab_size", MaxVocabSize, source);
        RequireInRange(DModel, "d_model", MaxWidth, source);
        RequireInRange(DKv, "d_kv", MaxWidth, source);
        RequireInRange(DFf, "d_ff", MaxWidth, source);
        RequireInRange(NumLayers, "num_layers", MaxLayers, source);
        RequireInRange(DecoderLayerCount, "num_decoder_layers", MaxLayers, source);
        RequireInRange(NumHeads, "num_heads", MaxHeads, source);
        RequireInRange(RelativeAttentionNumBuckets, "relative_attention_num_buckets", MaxRelativeBuckets, source);
        RequireInRange(RelativeAttentionMaxDistance, "relative_attention_max_distance", MaxRelativeDistance, source);
        if ((long)NumHeads * DKv > MaxWidth)
        {
            throw new ModelFormatException(source, $"keys \"num_heads\" = {NumHeads} and \"d_kv\" = {DKv} give an attention width of {(long)NumHeads * DKv}; the limit is {MaxWidth}.");
        }

        if (!(DropoutRate >= 0 && DropoutRate < 1))
        {
            throw new ModelFormatException(source, string.Create(CultureInfo.InvariantCulture, $"key \"dropout_rate\" must be in [0, 1), got {DropoutRate}."));
        }

        if (!(LayerNormEpsilon > 0 && double.IsFinite(LayerNormEpsilon)))
        {
            throw new ModelFormatException(source, string.Create(CultureInfo.InvariantCulture, $"key \"layer_norm_epsilon\" must be positive and finite, got {LayerNormEpsilon}."));
        }

        if (!double.IsFinite(InitializerFactor))
        {
            throw new ModelFormatException(source, string.Create(CultureInfo.InvariantCulture, $"key \"initializer_factor\" must be finite, got {InitializerFactor}."));
        }

        foreach (var (key, id) in new[] { ("pad_token_id", PadTokenId), ("eos_token_id", EosTokenId), ("decoder_start_token_id", DecoderStartTokenId) })
        {
            if (id < 0 || id >= VocabSize)
            {
                throw new ModelFormatException(source, $"key \"{key}\" = {id} is outside the vocabulary (vocab_size {VocabSize}).");
            }
        }

        var parameters = T5ParameterShapes.Count(this);
        if (parameters > MaxParameters)
        {
            throw new ModelFormatException(source, $"the config describes {parameters} parameters (vocab_size {VocabSize}, d_model {DModel}, d_kv {DKv}, " +
                $"d_ff {DFf}, num_heads {NumHeads}, num_layers {NumLayers}, num_decoder_layers {DecoderLayerCount}); the limit is {MaxParameters}.");
        }
    }

    /// <summary>The size keys and their values, for messages.</summary>
    internal string DescribeSizes() =>
        $"vocab_size {VocabSize}, d_model {DModel}, d_kv {DKv}, d_ff {DFf}, num_heads {NumHeads}, num_layers {NumLayers}, num_decoder_layers {DecoderLayerCount}";

    /// <summary>
    /// Parses <c>feed_forward_proj</c> the way Hugging Face does: <c>"&lt;act&gt;"</c> or <c>"gated-&lt;act&gt;"</c>,
    /// where <c>"gated-gelu"</c> means the tanh-approximated <c>"gelu_new"</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The value has another shape or names an unknown activation.</exception>
    public static (bool Gated, string Activation) ParseFeedForward(string feedForwardProj)
    {
        var parts = (feedForwardProj ?? "").Split('-');
        var gated = parts.Length == 2 && parts[0] == "gated";
        if (parts.Length > 2 || (parts.Length == 2 && !gated) || parts[^1].Length == 0)
        {
            throw new ArgumentException(
                $"\"{feedForwardProj}\" is not a valid activation; use \"<act>\" or \"gated-<act>\", e.g. \"relu\" or \"gated-gelu\".");
        }

        var activation = feedForwardProj == "gated-gelu" ? "gelu_new" : parts[^1];
        if (!T5Activations.IsKnown(activation))
        {
            throw new ArgumentException(
                $"\"{feedForwardProj}\" names the unknown activation \"{activation}\"; known: {string.Join(", ", T5Activations.Names)}.");
        }

        return (gated, activation);
    }

    private static readonly JsonSerializerOptions StrictJson = new() { AllowDuplicateProperties = false };

    private static void RequireInRange(int value, string key, int max, string source)
    {
        if (value <= 0 || value > max)
        {
            throw new ModelFormatException(source, $"key \"{key}\" must be between 1 and {max}, got {value}.");
        }
    }
}
