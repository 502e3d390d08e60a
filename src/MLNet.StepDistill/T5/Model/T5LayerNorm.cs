using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>T5's RMS layer norm: no mean subtraction, no bias, variance computed in float32 (HF <c>T5LayerNorm</c>).</summary>
internal sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Parameter weight;
#pragma warning restore IDE1006
    // The scalars live as long as the module: a Scalar made implicitly for one call (x.pow(2), variance + epsilon) can be
    // finalized by the GC while libtorch still reads it ("Unknown scalar type", seen once in a loaded test run).
    private readonly Scalar two = 2.ToScalar();
    private readonly Scalar epsilon;

    public T5LayerNorm(int hiddenSize, double epsilon) : base(nameof(T5LayerNorm))
    {
        weight = nn.Parameter(ones(hiddenSize));
        this.epsilon = epsilon.ToScalar();
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden.to(float32);
        var variance = x.pow(two).mean([-1L], keepdim: true);
        var normed = x * (variance + epsilon).rsqrt();
        return (weight * normed.to(weight.dtype)).MoveToOuterDisposeScope();
    }
}
