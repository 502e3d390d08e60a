namespace MLNet.StepDistill.T5;

/// <summary>
/// The parameter names and shapes a <see cref="T5Config"/> gives, computed without building the model, so a checkpoint
/// can be checked against its config before anything large is allocated. Names are the Hugging Face state-dict keys,
/// the same as <see cref="T5ForConditionalGeneration"/>'s <c>state_dict()</c> (a test pins that they agree).
/// </summary>
internal static class T5ParameterShapes
{
    public static Dictionary<string, long[]> For(T5Config config)
    {
        long model = config.DModel, inner = (long)config.NumHeads * config.DKv, ff = config.DFf;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["shared.weight"] = [config.VocabSize, model],
        };

        void Attention(string prefix, bool relativeBias)
        {
            shapes[prefix + ".q.weight"] = [inner, model];
            shapes[prefix + ".k.weight"] = [inner, model];
            shapes[prefix + ".v.weight"] = [inner, model];
            shapes[prefix + ".o.weight"] = [model, inner];
            if (relativeBias)
            {
                shapes[prefix + ".relative_attention_bias.weight"] = [config.RelativeAttentionNumBuckets, config.NumHeads];
            }
        }

        void FeedForward(string prefix)
        {
            if (config.IsGatedAct)
            {
                shapes[prefix + ".DenseReluDense.wi_0.weight"] = [ff, model];
                shapes[prefix + ".DenseReluDense.wi_1.weight"] = [ff, model];
            }
            else
            {
                shapes[prefix + ".DenseReluDense.wi.weight"] = [ff, model];
            }

            shapes[prefix + ".DenseReluDense.wo.weight"] = [model, ff];
            shapes[prefix + ".layer_norm.weight"] = [model];
        }

        foreach (var (stack, layers) in new[] { ("encoder", config.NumLayers), ("decoder", config.DecoderLayerCount) })
        {
            for (var i = 0; i < layers; i++)
            {
                var block = $"{stack}.block.{i}.layer.";
                Attention(block + "0.SelfAttention", relativeBias: i == 0);
                shapes[block + "0.layer_norm.weight"] = [model];
                if (stack == "decoder")
                {
                    Attention(block + "1.EncDecAttention", relativeBias: false);
                    shapes[block + "1.layer_norm.weight"] = [model];
                    FeedForward(block + "2");
                }
                else
                {
                    FeedForward(block + "1");
                }
            }

            shapes[stack + ".final_layer_norm.weight"] = [model];
        }

        if (!config.TieWordEmbeddings)
        {
            shapes["lm_head.weight"] = [config.VocabSize, model];
        }

        return shapes;
    }

    /// <summary>The number of parameters the config gives (exact; the config's limits keep it far below overflow).</summary>
    public static long Count(T5Config config)
    {
        long model = config.DModel, inner = (long)config.NumHeads * config.DKv, ff = config.DFf;
        var feedForward = (config.IsGatedAct ? 3 : 2) * ff * model + model;
        var attention = 4 * inner * model + model;
        var encoder = config.NumLayers * (attention + feedForward);
        var decoder = config.DecoderLayerCount * (2 * attention + feedForward);
        var bias = 2L * config.RelativeAttentionNumBuckets * config.NumHeads;
        var embeddings = (config.TieWordEmbeddings ? 1L : 2L) * config.VocabSize * model;
        return embeddings + encoder + decoder + bias + 2 * model;
    }
}
