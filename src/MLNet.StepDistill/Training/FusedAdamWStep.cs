using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// TorchSharp's <see cref="AdamW"/> step done in one pass over each parameter where every tensor of it is a contiguous
/// float32 CPU tensor: the same formula, on the optimizer's own state and options (so what it saves and loads, and a
/// training checkpoint, are unchanged), in float32 arithmetic, reading the parameter, its gradient and both moments once
/// and writing them once.
/// </summary>
/// <remarks>
/// TorchSharp's step is nine tensor operations a parameter (the weight decay, even at 0; the two moments; <c>sqrt</c>, a
/// division, <c>add_</c> and <c>addcdiv_</c>, two of them making temporaries as large as the parameter): about 22 passes
/// over t5-small's 60.5 million floats a step, and a native <c>Scalar</c> for every number. Per element this computes, as
/// TorchSharp does: <c>p *= 1 - lr * wd</c>; <c>m = m * beta1 + g * (1 - beta1)</c>; <c>v = v * beta2 + g * g * (1 -
/// beta2)</c>; <c>p += -(lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)</c>, each factor rounded to float32 once. Results
/// agree with TorchSharp's to float32 rounding, not bit for bit. Every operation is a separate IEEE multiply, add, divide
/// or square root (no fused multiply-add), so the vector and scalar loops, and every machine, give the same bits. Anything
/// else (another device or type, a tensor over 2 GiB, AMSGrad, <c>maximize</c>) takes TorchSharp's <c>step()</c>
/// unchanged, for every group of that step. It is not a subclass of <see cref="AdamW"/>: TorchSharp writes the optimizer's
/// type name into its saved state and refuses another name on loading, so a subclass would break every checkpoint.
/// </remarks>
internal static class FusedAdamWStep
{
    /// <summary>One step of <paramref name="optimizer"/> with the gradients its parameters hold.</summary>
    public static void Step(AdamW optimizer)
    {
        var updates = Updates(optimizer);
        try
        {
            if (updates is null)
            {
                optimizer.step();
                return;
            }

            foreach (var (parameter, gradient, state, options) in updates)
            {
                state.step += 1;
                var learningRate = options.LearningRate!.Value;
                var (beta1, beta2) = (options.beta1!.Value, options.beta2!.Value);
                var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                var factors = new Factors(
                    Decay: (float)(1 - learningRate * options.weight_decay!.Value),
                    Beta1: (float)beta1,
                    OneMinusBeta1: (float)(1 - beta1),
                    Beta2: (float)beta2,
                    OneMinusBeta2: (float)(1 - beta2),
                    SqrtBiasCorrection2: (float)Math.Sqrt(biasCorrection2),
                    Epsilon: (float)options.eps!.Value,
                    NegativeStepSize: (float)(-learningRate / biasCorrection1));
                Update(Floats(parameter), Floats(gradient), Floats(state.exp_avg), Floats(state.exp_avg_sq), factors);
            }
        }
        finally
        {
            updates?.ForEach(u => u.Gradient.Dispose());
        }
    }

    /// <summary>
    /// Drops every parameter's gradient before a step's backward passes (PyTorch's <c>zero_grad(set_to_none=True)</c>, its
    /// default since 2.0; TorchSharp's <c>zero_grad()</c> fills them with zeros): the first backward pass then hands its
    /// gradient over instead of adding it to zeros, and no gradient is held through the forward pass (t5-small's gradients:
    /// 0.23 GiB). A parameter that gets no gradient in a step is then not stepped at all, where a zeroed one would still
    /// have been moved by its moments; every T5 parameter gets one in every step.
    /// </summary>
    public static void ClearGradients(AdamW optimizer)
    {
        foreach (var parameter in optimizer.parameters())
        {
            parameter.grad = null;
        }
    }

    /// <summary>The numbers of one parameter's update, each rounded to float32 once.</summary>
    internal readonly record struct Factors(
        float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float SqrtBiasCorrection2, float Epsilon, float NegativeStepSize);

    /// <summary>One parameter's update in place (parameter, first and second moment), in one pass.</summary>
    internal static void Update(Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment, Factors f)
    {
        if (gradient.Length != parameter.Length || firstMoment.Length != parameter.Length || secondMoment.Length != parameter.Length)
        {
            throw new ArgumentException("The parameter, its gradient and its moments must have one length.", nameof(gradient));
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var p = ref MemoryMarshal.GetReference(parameter);
            ref var g = ref MemoryMarshal.GetReference(gradient);
            ref var m = ref MemoryMarshal.GetReference(firstMoment);
            ref var v = ref MemoryMarshal.GetReference(secondMoment);
            var decay = Vector256.Create(f.Decay);
            var beta1 = Vector256.Create(f.Beta1);
            var oneMinusBeta1 = Vector256.Create(f.OneMinusBeta1);
            var beta2 = Vector256.Create(f.Beta2);
            var oneMinusBeta2 = Vector256.Create(f.OneMinusBeta2);
            var sqrtBiasCorrection2 = Vector256.Create(f.SqrtBiasCorrection2);
            var epsilon = Vector256.Create(f.Epsilon);
            var negativeStepSize = Vector256.Create(f.NegativeStepSize);
            for (; i + 8 <= parameter.Length; i += 8)
            {
                var at = (nuint)i;
                var gi = Vector256.LoadUnsafe(ref g, at);
                var mi = (Vector256.LoadUnsafe(ref m, at) * beta1) + (gi * oneMinusBeta1);
                var vi = (Vector256.LoadUnsafe(ref v, at) * beta2) + (gi * gi * oneMinusBeta2);
                var denominator = (Vector256.Sqrt(vi) / sqrtBiasCorrection2) + epsilon;
                var pi = (Vector256.LoadUnsafe(ref p, at) * decay) + (negativeStepSize * mi / denominator);
                mi.StoreUnsafe(ref m, at);
                vi.StoreUnsafe(ref v, at);
                pi.StoreUnsafe(ref p, at);
            }
        }

        for (; i < parameter.Length; i++)
        {
            var gi = gradient[i];
            var mi = (firstMoment[i] * f.Beta1) + (gi * f.OneMinusBeta1);
            var vi = (secondMoment[i] * f.Beta2) + (gi * gi * f.OneMinusBeta2);
            var denominator = (MathF.Sqrt(vi) / f.SqrtBiasCorrection2) + f.Epsilon;
            firstMoment[i] = mi;
            secondMoment[i] = vi;
            parameter[i] = (parameter[i] * f.Decay) + (f.NegativeStepSize * mi / denominator);
        }
    }

    /// <summary>
    /// Every parameter with a gradient, its gradient, state and options, read once; null (and no gradient handle left
    /// open) when any of them cannot be fused, so the whole step is TorchSharp's.
    /// </summary>
    private static List<(Parameter Parameter, Tensor Gradient, AdamW.State State, AdamW.Options Options)>? Updates(AdamW optimizer)
    {
        var states = optimizer.state_dict().State;   // one per parameter, in the groups' parameter order
        var updates = new List<(Parameter, Tensor, AdamW.State, AdamW.Options)>();
        var next = 0;
        foreach (var group in optimizer.ParamGroups.Cast<ParamGroup>())
        {
            if (group.Options is not AdamW.Options { amsgrad: false, maximize: false } options)
            {
                return Abandon(updates);
            }

            foreach (var parameter in group.Parameters)
            {
                var state = (AdamW.State)states[next++];
                var gradient = parameter.grad;
                if (gradient is null)
                {
                    continue;
                }

                updates.Add((parameter, gradient, state, options));
                if (!IsDenseCpuFloat(parameter) || !IsDenseCpuFloat(gradient) || !IsDenseCpuFloat(state.exp_avg) || !IsDenseCpuFloat(state.exp_avg_sq))
                {
                    return Abandon(updates);
                }
            }
        }

        return updates;

        static List<(Parameter, Tensor, AdamW.State, AdamW.Options)>? Abandon(List<(Parameter, Tensor Gradient, AdamW.State, AdamW.Options)> read)
        {
            read.ForEach(u => u.Gradient.Dispose());
            return null;
        }
    }

    // TorchSharp's Tensor.bytes is a Span<byte>: an int length, so at most 2 GiB a tensor.
    private static bool IsDenseCpuFloat(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == float32 && t.is_contiguous() && t.numel() <= int.MaxValue / sizeof(float);

    private static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
