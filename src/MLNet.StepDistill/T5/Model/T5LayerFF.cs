using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>Pre-norm feed-forward sub-layer with residual: x + dropout(DenseReluDense(layer_norm(x))) (HF <c>T5LayerFF</c>).</summary>
internal sealed class T5LayerFF : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly nn.Module<Tensor, Tensor> DenseReluDense;
    private readonly T5LayerNorm layer_norm;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006

    public T5LayerFF(T5Config config, T5Autocast autocast) : base(nameof(T5LayerFF))
    {
        DenseReluDense = config.IsGatedAct
            ? new T5DenseGatedActDense(config, autocast)
            : new T5DenseActDense(config, autocast);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new T5Dropout(config.DropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var forwarded = DenseReluDense.forward(layer_norm.forward(hidden));
        return (hidden + dropout.forward(forwarded)).MoveToOuterDisposeScope();
    }
}
