using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>T5 v1.1 / Flan-T5 feed-forward: wo(dropout(act(wi_0(x)) * wi_1(x))) (HF <c>T5DenseGatedActDense</c>).</summary>
internal sealed class T5DenseGatedActDense : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Linear wi_0;
    private readonly Linear wi_1;
    private readonly Linear wo;
    private readonly T5Dropout dropout;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> activation;
    private readonly T5Autocast autocast;

    public T5DenseGatedActDense(T5Config config, T5Autocast autocast) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wi_1 = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false);
        dropout = new T5Dropout(config.DropoutRate);
        activation = T5Activations.Get(config.DenseActFn);
        this.autocast = autocast;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gate = activation(autocast.Linear(wi_0, hidden));
        var linear = autocast.Linear(wi_1, hidden);
        var h = dropout.forward(gate * linear);
        return autocast.Linear(wo, h).MoveToOuterDisposeScope();
    }
}
