namespace MLNet.StepDistill.T5;

/// <summary>
/// Configs of the public T5 architectures (same numbers as their Hugging Face <c>config.json</c>), plus <c>"tiny"</c>,
/// a CPU-sized T5 v1.0-style model (tied embeddings) for the shipped experiments.
/// </summary>
public static class T5Presets
{
    private static readonly Dictionary<string, Func<T5Config>> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["t5-small"] = () => Architecture(gated: false, dModel: 512, dFf: 2048, layers: 6, heads: 8),
        ["t5-base"] = () => Architecture(gated: false, dModel: 768, dFf: 3072, layers: 12, heads: 12),
        ["t5-large"] = () => Architecture(gated: false, dModel: 1024, dFf: 4096, layers: 24, heads: 16),
        ["t5-v1_1-small"] = () => Architecture(gated: true, dModel: 512, dFf: 1024, layers: 8, heads: 6),
        ["t5-v1_1-base"] = () => Architecture(gated: true, dModel: 768, dFf: 2048, layers: 12, heads: 12),
        ["flan-t5-small"] = () => Architecture(gated: true, dModel: 512, dFf: 1024, layers: 8, heads: 6),
        ["flan-t5-base"] = () => Architecture(gated: true, dModel: 768, dFf: 2048, layers: 12, heads: 12),
        ["tiny"] = () => Tiny(32128),
        ["mini"] = () => Mini(32128),
    };

    /// <summary>The preset names <see cref="Get"/> accepts.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>
    /// The config of a named preset (a fresh copy). Names follow the Hugging Face model ids without the organisation:
    /// t5-small, t5-base, t5-large, t5-v1_1-small, t5-v1_1-base, flan-t5-small, flan-t5-base, tiny, mini.
    /// </summary>
    /// <param name="name">Preset name (case-insensitive; a leading <c>google/</c> is accepted).</param>
    /// <param name="vocabSize">Overrides the vocabulary size (e.g. the tokenizer's size for <c>tiny</c>).</param>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static T5Config Get(string name, int? vocabSize = null)
    {
        var key = name.StartsWith("google/", StringComparison.OrdinalIgnoreCase) ? name["google/".Length..] : name;
        if (!ByName.TryGetValue(key, out var make))
        {
            throw new ArgumentException($"Unknown T5 preset \"{name}\"; known: {string.Join(", ", Names)}.", nameof(name));
        }

        var config = make();
        if (vocabSize is { } size)
        {
            config.VocabSize = size;
        }

        config.Validate($"preset \"{name}\"");
        return config;
    }

    /// <summary>
    /// The CPU-sized student trained from scratch: d_model 128, 4 heads x 32, d_ff 512 relu, 2 encoder + 2 decoder
    /// blocks, the output head tied to the embeddings (T5 v1.0 style: the decoder output is scaled by d_model^-0.5
    /// before the tied projection). Tied, its initial loss with Hugging Face's initialisation is about ln(vocab); an untied
    /// head at this width starts near 44 (its logits have a standard deviation of about sqrt(d_model)).
    /// </summary>
    /// <param name="vocabSize">The tokenizer's vocabulary size (with sentinels).</param>
    public static T5Config Tiny(int vocabSize) => new()
    {
        VocabSize = vocabSize,
        DModel = 128,
        DKv = 32,
        NumHeads = 4,
        DFf = 512,
        NumLayers = 2,
        NumDecoderLayers = 2,
        FeedForwardProj = "relu",
        TieWordEmbeddings = true,
    };

    /// <summary>
    /// A larger CPU student trained from scratch, about six times <see cref="Tiny"/>'s compute per token: d_model 256,
    /// 4 heads x 64, d_ff 1024 relu, 3 encoder + 3 decoder blocks, tied embeddings.
    /// </summary>
    /// <param name="vocabSize">The tokenizer's vocabulary size (with sentinels).</param>
    public static T5Config Mini(int vocabSize) => new()
    {
        VocabSize = vocabSize,
        DModel = 256,
        DKv = 64,
        NumHeads = 4,
        DFf = 1024,
        NumLayers = 3,
        NumDecoderLayers = 3,
        FeedForwardProj = "relu",
        TieWordEmbeddings = true,
    };

    /// <summary>T5 v1.0 (relu, tied head) when not <paramref name="gated"/>; T5 v1.1 / Flan-T5 (gated-gelu, untied) when gated.</summary>
    private static T5Config Architecture(bool gated, int dModel, int dFf, int layers, int heads) => new()
    {
        DModel = dModel,
        DKv = 64,
        DFf = dFf,
        NumLayers = layers,
        NumDecoderLayers = layers,
        NumHeads = heads,
        FeedForwardProj = gated ? "gated-gelu" : "relu",
        TieWordEmbeddings = !gated,
    };
}
