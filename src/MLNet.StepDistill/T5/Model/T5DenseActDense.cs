using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>T5 v1.0 feed-forward: wo(dropout(act(wi(x)))) (HF <c>T5DenseActDense</c>).</summary>
internal sealed class T5DenseActDense : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Linear wi;
    private readonly Linear wo;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> activation;
    private readonly T5Autocast autocast;

    public T5DenseActDense(T5Config config, T5Autocast autocast) : base(nameof(T5DenseActDense))
    {
        wi = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false);
        dropout = new T5Dropout(config.DropoutRate);
        activation = T5Activations.Get(config.DenseActFn);
        this.autocast = autocast;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var h = dropout.forward(activation(autocast.Linear(wi, hidden)));
        return autocast.Linear(wo, h).MoveToOuterDisposeScope();
    }
}
