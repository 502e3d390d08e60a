using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Mixed precision by hand (TorchSharp has no autocast): when <see cref="LowPrecision"/> is set, matrix products run in
/// that type (bf16 on CUDA) while weights stay float32 and norms, softmax and the loss stay float32, as PyTorch's
/// autocast does. One instance is shared by all modules of a model.
/// </summary>
internal sealed class T5Autocast
{
    /// <summary>The matmul type, or null for plain float32.</summary>
    public ScalarType? LowPrecision { get; set; }

    /// <summary>y = x W^T, in the low-precision type when one is set.</summary>
    public Tensor Linear(Linear layer, Tensor x)
    {
        if (LowPrecision is not { } type)
        {
            return layer.forward(x);
        }

        using var w = layer.weight!.to(type);
        using var xl = x.to(type);
        return nn.functional.linear(xl, w);
    }

    /// <summary>a @ b, in the low-precision type when one is set.</summary>
    public Tensor MatMul(Tensor a, Tensor b)
    {
        if (LowPrecision is not { } type)
        {
            return a.matmul(b);
        }

        using var al = a.to(type);
        using var bl = b.to(type);
        return al.matmul(bl);
    }
}
