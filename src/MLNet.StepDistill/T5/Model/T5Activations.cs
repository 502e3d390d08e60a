using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>The feed-forward activations Hugging Face's T5 accepts (its <c>ACT2FN</c> names used by T5 checkpoints).</summary>
internal static class T5Activations
{
    private static readonly Dictionary<string, Func<Tensor, Tensor>> ByName = new(StringComparer.Ordinal)
    {
        ["relu"] = x => nn.functional.relu(x),
        ["gelu"] = x => nn.functional.gelu(x),
        ["gelu_new"] = GeluTanh,
        ["gelu_pytorch_tanh"] = GeluTanh,
        ["gelu_fast"] = GeluTanh,
        ["silu"] = x => nn.functional.silu(x),
        ["swish"] = x => nn.functional.silu(x),
        ["tanh"] = x => x.tanh(),
        ["sigmoid"] = x => x.sigmoid(),
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool IsKnown(string name) => ByName.ContainsKey(name);

    public static Func<Tensor, Tensor> Get(string name) => ByName[name];

    /// <summary>HF's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), libtorch's tanh approximation.</summary>
    private static Tensor GeluTanh(Tensor x) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}
