using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Every dropout of the T5 model (HF's <c>nn.Dropout</c> and the attention weights' <c>dropout</c>): in training, x times
/// a Bernoulli(1 - p) mask divided by 1 - p, drawn from <see cref="Generator"/> when the model has one (a training run's
/// own generator, <see cref="T5ForConditionalGeneration.DropoutGenerator"/>), else from torch's process-wide generator.
/// </summary>
/// <remarks>
/// This is libtorch's CPU dropout step for step (<c>at::native::_dropout_impl</c>: <c>noise = empty_like(x)</c>,
/// <c>noise.bernoulli_(1 - p)</c>, <c>noise.div_(1 - p)</c>, <c>x * noise</c>; x itself when p is 0, the tensor is empty
/// or the module is not training), so for the same random stream it gives bit-identical results and gradients; only
/// where the mask's random numbers come from is chosen here. The module has no parameters or buffers: state dicts and
/// checkpoint keys are those of <c>nn.Dropout</c>.
/// </remarks>
internal sealed class T5Dropout : nn.Module<Tensor, Tensor>
{
    private readonly double probability;

    // 1 - p as a Scalar held by the module: a Scalar made implicitly for one call can be finalized by the GC while
    // libtorch still reads it (see T5LayerNorm).
    private readonly Scalar keep;

    public T5Dropout(double probability) : base(nameof(T5Dropout))
    {
        if (!(probability >= 0 && probability < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), $"A dropout probability must be in [0, 1), got {probability}.");
        }

        this.probability = probability;
        keep = (1 - probability).ToScalar();
    }

    /// <summary>The generator the masks are drawn from; null: torch's process-wide one. Set through the model.</summary>
    public Generator? Generator { get; set; }

    public override Tensor forward(Tensor x)
    {
        if (!training || probability == 0 || x.numel() == 0)
        {
            return x;
        }

        using var noise = empty_like(x);
        noise.bernoulli_(1 - probability, Generator);
        noise.div_(keep);
        return x * noise;
    }
}
