using MLNet.StepDistill.T5;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Reading HF configs in diff format, presets, and the feed-forward names HF accepts.</summary>
public class T5ConfigTests
{
    [Fact]
    public void Keys_left_out_of_a_diff_config_take_hugging_face_defaults()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("config.json"), "{\"num_layers\": 3}");
        var config = T5Config.Load(folder.File("config.json"));
        Assert.Equal((32128, 512, 64, 2048, 3, 3, 8), (config.VocabSize, config.DModel, config.DKv, config.DFf, config.NumLayers, config.DecoderLayerCount, config.NumHeads));
        Assert.Equal((32, 128, 0.1, 1e-6), (config.RelativeAttentionNumBuckets, config.RelativeAttentionMaxDistance, config.DropoutRate, config.LayerNormEpsilon));
        Assert.Equal(("relu", true, 0, 1, 0), (config.FeedForwardProj, config.TieWordEmbeddings, config.PadTokenId, config.EosTokenId, config.DecoderStartTokenId));
    }

    [Fact]
    public void Fixture_config_without_tie_word_embeddings_is_tied()
    {
        var config = T5Config.Load(Path.Combine(T5Fixtures.ModelFolder("t5v1_relu"), "config.json"));
        Assert.True(config.TieWordEmbeddings);
        Assert.False(config.IsGatedAct);
        var gated = T5Config.Load(Path.Combine(T5Fixtures.ModelFolder("t5v11_gated"), "config.json"));
        Assert.False(gated.TieWordEmbeddings);
        Assert.Equal((true, "gelu_new", 3, 2), (gated.IsGatedAct, gated.DenseActFn, gated.NumLayers, gated.DecoderLayerCount));
    }

    [Theory]
    [InlineData("relu", false, "relu")]
    [InlineData("gated-gelu", true, "gelu_new")]
    [InlineData("gated-relu", true, "relu")]
    [InlineData("gated-silu", true, "silu")]
    [InlineData("gelu", false, "gelu")]
    public void Feed_forward_names_parse_like_hugging_face(string value, bool gated, string activation) =>
        Assert.Equal((gated, activation), T5Config.ParseFeedForward(value));

    [Theory]
    [InlineData("gated-gelu-x")]
    [InlineData("ungated-gelu")]
    [InlineData("swishy")]
    public void Unknown_feed_forward_names_are_rejected(string value) =>
        Assert.Throws<ArgumentException>(() => T5Config.ParseFeedForward(value));

    [Fact]
    public void Presets_match_the_public_architectures_and_unknown_names_list_the_known_ones()
    {
        var flan = T5Presets.Get("google/flan-t5-base");
        Assert.Equal((768, 2048, 12, 12, "gated-gelu", false), (flan.DModel, flan.DFf, flan.NumLayers, flan.NumHeads, flan.FeedForwardProj, flan.TieWordEmbeddings));
        var large = T5Presets.Get("t5-large");
        Assert.Equal((1024, 4096, 24, 16, "relu", true), (large.DModel, large.DFf, large.NumLayers, large.NumHeads, large.FeedForwardProj, large.TieWordEmbeddings));
        var tiny = T5Presets.Get("tiny", vocabSize: 900);
        Assert.Equal((900, 128, 4, 32, 512, 2, 2, "relu", true), (tiny.VocabSize, tiny.DModel, tiny.NumHeads, tiny.DKv, tiny.DFf, tiny.NumLayers, tiny.DecoderLayerCount, tiny.FeedForwardProj, tiny.TieWordEmbeddings));
        var error = Assert.Throws<ArgumentException>(() => T5Presets.Get("t5-huge"));
        Assert.Contains("flan-t5-small", error.Message);
    }
}
