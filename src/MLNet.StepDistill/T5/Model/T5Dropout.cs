using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Every dropout of the T5 model (HF's <c>nn.Dropout</c> and the attention weights' <c>dropout</c>): in training, x times
/// a mask that keeps each element with probability 1 - p and scales the kept ones by 1 / (1 - p); x itself when p is 0,
/// the tensor is empty or the module is not training. The mask's randomness comes from <see cref="Generator"/> when the
/// model has one (a training run's own generator, <see cref="T5ForConditionalGeneration.DropoutGenerator"/>), else from
/// torch's process-wide generator.
/// </summary>
/// <remarks>
/// On the CPU a mask costs one draw from the generator (a 63-bit key) and is filled by <see cref="DropoutMask"/>:
/// libtorch's own CPU dropout draws every element serially (<c>bernoulli_</c>), which took 7-8% of a t5-small training
/// step. The generator advances by one draw per mask, so a training run's checkpointed generator state still resumes it
/// bit for bit and runs side by side still draw independent streams. On other devices (and for a tensor over 2 GiB,
/// past what <c>Tensor.bytes</c> can span) the mask is libtorch's <c>bernoulli_</c> on that device
/// (<c>at::native::_dropout_impl</c> step for step). The module has no parameters or buffers: state dicts and checkpoint
/// keys are those of <c>nn.Dropout</c>.
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

        if (x.device_type != DeviceType.CPU || x.numel() > int.MaxValue / sizeof(float))
        {
            using var noise = empty_like(x);
            noise.bernoulli_(1 - probability, Generator);
            noise.div_(keep);
            return x * noise;
        }

        using var mask = CpuMask(x.shape);
        if (x.dtype == float32)
        {
            return x * mask;
        }

        using var typed = mask.to(x.dtype);
        return x * typed;
    }

    /// <summary>A float32 mask of <paramref name="shape"/> from one draw of <see cref="Generator"/>.</summary>
    private Tensor CpuMask(long[] shape)
    {
        ulong key;
        using (var draw = randint(0, long.MaxValue, [1], dtype: int64, generator: Generator))
        {
            key = (ulong)draw.item<long>();
        }

        var mask = empty(shape, float32);
        DropoutMask.Fill(MemoryMarshal.Cast<byte, float>(mask.bytes), key, 1 - probability, (float)(1 / (1 - probability)));
        return mask;
    }
}
