using MLNet.StepDistill.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>The one-pass AdamW step against TorchSharp's own AdamW step, and its vector and scalar loops against each other.</summary>
public class FusedAdamWStepTests
{
    private static readonly long[][] Shapes = [[37, 19], [64], [5], [3, 4, 5]];

    private static Parameter[] Parameters(int seed)
    {
        var generator = new Generator((ulong)seed);
        return Shapes.Select(shape => new Parameter(randn(shape, generator: generator) * 0.5f)).ToArray();
    }

    private static void SetGradients(Parameter[] parameters, int step)
    {
        var generator = new Generator((ulong)(1000 + step));
        foreach (var parameter in parameters)
        {
            parameter.grad = randn(parameter.shape, generator: generator) * 0.1f;
        }
    }

    private static List<AdamW.ParamGroup> Groups(Parameter[] parameters, bool amsgrad = false) =>
    [
        new(parameters.Take(2), new AdamW.Options { LearningRate = 1e-2, weight_decay = 0.1, amsgrad = amsgrad }),
        new(parameters.Skip(2), new AdamW.Options { LearningRate = 1e-2, weight_decay = 0, amsgrad = amsgrad }),
    ];

    private static void Train(AdamW optimizer, Parameter[] parameters, int steps, bool fused)
    {
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            SetGradients(parameters, step);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = 1e-2 / (1 + step);   // a schedule, as the trainer sets it
            }

            if (fused)
            {
                FusedAdamWStep.Step(optimizer);
            }
            else
            {
                optimizer.step();
            }
        }
    }

    /// <summary>Two copies of the same parameters, one trained with TorchSharp's step and one with the fused step.</summary>
    private sealed class TrainedPair : IDisposable
    {
        public TrainedPair(int seed, int steps, bool amsgrad = false)
        {
            (Expected, Actual) = (Parameters(seed), Parameters(seed));
            (Reference, Fused) = (optim.AdamW(Groups(Expected, amsgrad), 1e-2), optim.AdamW(Groups(Actual, amsgrad), 1e-2));
            Train(Reference, Expected, steps, fused: false);
            Train(Fused, Actual, steps, fused: true);
        }

        public Parameter[] Expected { get; }

        public Parameter[] Actual { get; }

        public AdamW Reference { get; }

        public AdamW Fused { get; }

        public void Dispose()
        {
            Reference.Dispose();
            Fused.Dispose();
        }
    }

    [Fact]
    public void Steps_agree_with_torchsharps_adamw_to_float32_rounding()
    {
        using var scope = NewDisposeScope();
        using var pair = new TrainedPair(seed: 1, steps: 12);
        var (expected, actual) = (pair.Expected, pair.Actual);
        var initial = Parameters(1);
        for (var i = 0; i < expected.Length; i++)
        {
            var moved = (expected[i] - initial[i]).abs().max().item<float>();
            var difference = (expected[i] - actual[i]).abs().max().item<float>();
            Assert.True(moved > 1e-2, $"parameter {i} barely moved ({moved}): the comparison would show nothing");
            Assert.True(difference < 1e-6, $"parameter {i}: {difference} from TorchSharp's AdamW");
        }
    }

    [Fact]
    public void It_advances_the_optimizers_own_state_as_torchsharps_step_does()
    {
        using var scope = NewDisposeScope();
        using var pair = new TrainedPair(seed: 2, steps: 3);
        var pairs = pair.Reference.state_dict().State.Cast<AdamW.State>().Zip(pair.Fused.state_dict().State.Cast<AdamW.State>()).ToArray();
        Assert.Equal(Shapes.Length, pairs.Length);
        foreach (var (a, b) in pairs)
        {
            Assert.Equal(3, b.step);
            Assert.True((a.exp_avg - b.exp_avg).abs().max().item<float>() < 1e-7);
            Assert.True((a.exp_avg_sq - b.exp_avg_sq).abs().max().item<float>() < 1e-8);
            Assert.True(b.exp_avg.abs().max().item<float>() > 1e-3);   // the moments did move
        }
    }

    [Fact]
    public void With_amsgrad_it_takes_torchsharps_step_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var pair = new TrainedPair(seed: 3, steps: 4, amsgrad: true);
        for (var i = 0; i < pair.Expected.Length; i++)
        {
            Assert.Equal(pair.Expected[i].data<float>().ToArray(), pair.Actual[i].data<float>().ToArray());
        }
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone()
    {
        using var scope = NewDisposeScope();
        var parameters = Parameters(4);
        using var optimizer = optim.AdamW(Groups(parameters), 1e-2);
        SetGradients(parameters, 0);
        parameters[3].grad = null;
        var untouched = parameters[3].detach().clone();
        FusedAdamWStep.Step(optimizer);
        Assert.Equal(untouched.data<float>().ToArray(), parameters[3].data<float>().ToArray());
        Assert.Equal(0, optimizer.state_dict().State.Cast<AdamW.State>().Last().step);
        Assert.Equal(1, optimizer.state_dict().State.Cast<AdamW.State>().First().step);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(31)]
    public void The_vector_loop_gives_the_bits_of_the_element_by_element_loop(int length)
    {
        var random = new Random(length);
        float[] Values(float scale) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5) * scale).ToArray();
        var (parameter, gradient, first, second) = (Values(1), Values(0.1f), Values(0.01f), Values(0.001f).Select(Math.Abs).ToArray());
        var factors = new FusedAdamWStep.Factors(0.999f, 0.9f, 0.1f, 0.999f, 0.001f, 0.05f, 1e-8f, -0.01f);

        var (p, m, v) = ((float[])parameter.Clone(), (float[])first.Clone(), (float[])second.Clone());
        FusedAdamWStep.Update(p, gradient, m, v, factors);
        for (var i = 0; i < length; i++)
        {
            FusedAdamWStep.Update(parameter.AsSpan(i, 1), gradient.AsSpan(i, 1), first.AsSpan(i, 1), second.AsSpan(i, 1), factors);
        }

        Assert.Equal(parameter, p);
        Assert.Equal(first, m);
        Assert.Equal(second, v);
        Assert.NotEqual(Values(1), p);
    }
}
