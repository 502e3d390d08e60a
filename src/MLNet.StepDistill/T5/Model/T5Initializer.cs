using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>Fresh weights as Hugging Face's <c>T5PreTrainedModel._init_weights</c> draws them, chosen by parameter name.</summary>
internal static class T5Initializer
{
    public static void Initialize(nn.Module model, T5Config config)
    {
        var factor = config.InitializerFactor;
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("layer_norm.weight", StringComparison.Ordinal))
            {
                parameter.fill_(factor);
                continue;
            }

            var std = StandardDeviation(name, config) * factor;
            nn.init.normal_(parameter, 0.0, std); // in place; the returned tensor is the parameter itself: never dispose it
        }
    }

    private static double StandardDeviation(string name, T5Config config)
    {
        var dModel = (double)config.DModel;
        if (name is "shared.weight" or "lm_head.weight")
        {
            return 1.0;
        }

        if (name.EndsWith(".wo.weight", StringComparison.Ordinal))
        {
            return Math.Pow(config.DFf, -0.5);
        }

        if (name.EndsWith(".q.weight", StringComparison.Ordinal))
        {
            return Math.Pow(dModel * config.DKv, -0.5);
        }

        if (name.EndsWith(".o.weight", StringComparison.Ordinal))
        {
            return Math.Pow((double)config.NumHeads * config.DKv, -0.5);
        }

        // wi, wi_0, wi_1, k, v and relative_attention_bias
        return Math.Pow(dModel, -0.5);
    }
}
