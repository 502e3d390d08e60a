using MLNet.StepDistill.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Export;

/// <summary>The float32 weights of a T5 by checkpoint key, copied off the device once for the graph writers.</summary>
internal sealed class T5OnnxWeights
{
    private readonly Dictionary<string, (float[] Values, long[] Shape)> byKey = new(StringComparer.Ordinal);

    public T5OnnxWeights(T5ForConditionalGeneration model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (key, tensor) in model.state_dict())
        {
            var cpu = tensor.detach().to(float32).cpu().contiguous();
            byKey[key] = (cpu.data<float>().ToArray(), cpu.shape);
        }
    }

    public (float[] Values, long[] Shape) this[string key] =>
        byKey.TryGetValue(key, out var weight) ? weight : throw new InvalidOperationException($"The model has no weight \"{key}\".");

    /// <summary>A Linear weight [out, in] transposed to [in, out], the right operand of <c>MatMul</c>.</summary>
    public (float[] Values, long[] Shape) Transposed(string key)
    {
        var (values, shape) = this[key];
        var (rows, columns) = ((int)shape[0], (int)shape[1]);
        var transposed = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                transposed[c * rows + r] = values[r * columns + c];
            }
        }

        return (transposed, [columns, rows]);
    }
}
