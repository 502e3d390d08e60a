using MLNet.StepDistill.T5;
using MLNet.StepDistill.Training;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// The trainer's AdamW frees each parameter's temporaries as it goes, and must still produce exactly what TorchSharp's
/// AdamW produces: the same weights, bit for bit, and the same optimizer state in the same checkpoint format.
/// </summary>
public sealed class StepScopedAdamWTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Steps_give_bit_identical_weights_and_state_to_TorchSharps_AdamW(bool amsgrad, bool maximize)
    {
        using var reference = Student();
        using var scoped = Student();
        using var referenceOptimizer = optim.AdamW(Groups(reference, amsgrad, maximize), 3e-3);
        using var scopedOptimizer = new StepScoped.AdamW(Groups(scoped, amsgrad, maximize), 3e-3);
        using var inputs = randint(2, 96, [2, 12], dtype: int64, generator: new Generator(7));
        using var mask = ones_like(inputs);
        using var labels = randint(2, 96, [2, 5], dtype: int64, generator: new Generator(8));
        for (var step = 0; step < 6; step++)
        {
            // A changing learning rate, as the trainer's schedule sets one per step.
            foreach (var optimizer in new optim.Optimizer[] { referenceOptimizer, scopedOptimizer })
            {
                foreach (var group in optimizer.ParamGroups)
                {
                    group.LearningRate = 3e-3 * (step + 1) / 6;
                }
            }

            // Both optimizers see the same gradients (the reference's, copied), so only their arithmetic is compared,
            // whatever another test does to the process's torch threads meanwhile.
            Backward(reference, referenceOptimizer, inputs, mask, labels);
            Backward(scoped, scopedOptimizer, inputs, mask, labels);
            foreach (var ((_, from), (_, to)) in reference.named_parameters().Zip(scoped.named_parameters()))
            {
                using var source = from.grad!;
                using var target = to.grad!;
                target.copy_(source);
            }

            referenceOptimizer.step();
            scopedOptimizer.step();
        }

        var changed = false;
        foreach (var ((name, expected), (_, actual)) in reference.named_parameters().Zip(scoped.named_parameters()))
        {
            Assert.True(expected.bytes.ToArray().AsSpan().SequenceEqual(actual.bytes.ToArray()), $"{name} differs");
        }

        using var initial = Student();
        foreach (var ((_, before), (_, after)) in initial.named_parameters().Zip(scoped.named_parameters()))
        {
            changed |= !before.bytes.ToArray().AsSpan().SequenceEqual(after.bytes.ToArray());
        }

        Assert.True(changed, "the optimizer moved no weight");
        Assert.Equal(StateBytes(referenceOptimizer), StateBytes(scopedOptimizer));
    }

    [Fact]
    public void A_state_saved_by_TorchSharps_AdamW_loads_into_the_scoped_one()
    {
        using var reference = Student();
        using var scoped = Student();
        using var referenceOptimizer = optim.AdamW(Groups(reference, false, false), 1e-3);
        using var scopedOptimizer = new StepScoped.AdamW(Groups(scoped, false, false), 1e-3);
        using var inputs = randint(2, 96, [2, 12], dtype: int64, generator: new Generator(9));
        using var mask = ones_like(inputs);
        using var labels = inputs[.., ..4].contiguous();
        Step(reference, referenceOptimizer, inputs, mask, labels);
        using (var reader = new BinaryReader(new MemoryStream(StateBytes(referenceOptimizer))))
        {
            scopedOptimizer.load_state_dict(reader);
        }

        Assert.Equal(StateBytes(referenceOptimizer), StateBytes(scopedOptimizer));
    }

    private static T5ForConditionalGeneration Student()
    {
        manual_seed(11);
        var config = T5Presets.Get("tiny", vocabSize: 96);
        config.DropoutRate = 0;
        return new T5ForConditionalGeneration(config);
    }

    /// <summary>The trainer's two groups: weights with decoupled decay, layer norms without.</summary>
    private static List<AdamW.ParamGroup> Groups(T5ForConditionalGeneration model, bool amsgrad, bool maximize)
    {
        var named = model.named_parameters().ToArray();
        return
        [
            new(named.Where(p => !p.name.Contains("layer_norm", StringComparison.Ordinal)).Select(p => p.parameter), new AdamW.Options { LearningRate = 3e-3, weight_decay = 0.01, amsgrad = amsgrad, maximize = maximize }),
            new(named.Where(p => p.name.Contains("layer_norm", StringComparison.Ordinal)).Select(p => p.parameter), new AdamW.Options { LearningRate = 3e-3, weight_decay = 0, amsgrad = amsgrad, maximize = maximize }),
        ];
    }

    private static void Step(T5ForConditionalGeneration model, optim.Optimizer optimizer, Tensor inputs, Tensor mask, Tensor labels)
    {
        Backward(model, optimizer, inputs, mask, labels);
        optimizer.step();
    }

    private static void Backward(T5ForConditionalGeneration model, optim.Optimizer optimizer, Tensor inputs, Tensor mask, Tensor labels)
    {
        using var scope = NewDisposeScope();
        model.train();
        optimizer.zero_grad();
        model.Forward(inputs, mask, labels: labels).Loss!.backward();
    }

    private static byte[] StateBytes(optim.Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            ((OptimizerHelper)optimizer).save_state_dict(writer);
        }

        return stream.ToArray();
    }
}
