using MLNet.StepDistill.T5;
using MLNet.StepDistill.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// The training step the <c>bench</c> and <c>allocator</c> benchmarks time, and the shape of the PyTorch peer it is
/// compared with: a preset with dropout 0.1 (seed 1234), random ids, no padding, forward + backward + AdamW (lr 1e-4),
/// with the trainer's scopes (the forward and backward pass's tensors freed before the optimizer step). Every token is a useful (non-pad) token.
/// </summary>
internal sealed class TrainingStepWorkload : IDisposable
{
    private readonly Tensor inputs;
    private readonly Tensor mask;
    private readonly Tensor labels;
    private readonly AdamW optimizer;
    private readonly IDisposable trainingSpan;

    /// <param name="preset">The student preset.</param>
    /// <param name="device">Where it trains.</param>
    /// <param name="batch">Rows per step.</param>
    /// <param name="source">Source tokens per row.</param>
    /// <param name="target">Target tokens per row.</param>
    public TrainingStepWorkload(string preset, Device device, int batch, int source, int target)
    {
        manual_seed(1234);
        Config = T5Presets.Get(preset, vocabSize: 32128);
        Config.DropoutRate = 0.1;
        Model = new T5ForConditionalGeneration(Config).To(device);
        inputs = randint(2, Config.VocabSize, [batch, source], dtype: int64, device: device);
        mask = ones_like(inputs);
        labels = randint(2, Config.VocabSize, [batch, target], dtype: int64, device: device);
        optimizer = optim.AdamW(Model.parameters(), lr: 1e-4);
        trainingSpan = TrainingStepMemory.BeginTraining(); // as the trainer does (nothing where the settings were not applied)
        Tokens = (double)batch * (source + target);
        FlopsPerToken = T5FlopCount.TrainingStep(Config, batch, source, target) / Tokens;
    }

    public T5Config Config { get; }

    public T5ForConditionalGeneration Model { get; }

    /// <summary>Source + target tokens of one step.</summary>
    public double Tokens { get; }

    /// <summary>The shape-exact FLOPs of one step per token (<see cref="T5FlopCount"/>).</summary>
    public double FlopsPerToken { get; }

    /// <summary>The model's inputs, for the decoding figures on the same model.</summary>
    public Tensor Inputs => inputs;

    /// <summary>The all-ones attention mask of <see cref="Inputs"/>.</summary>
    public Tensor Mask => mask;

    /// <summary>
    /// A trim policy to apply after every step even where the library's settings were not applied (the allocator
    /// benchmark's <c>step-trim</c>, <c>trim-free=</c> and <c>trim-grown=</c>); null does what the trainer does.
    /// </summary>
    public StepTrimPolicy? TrimPolicy { get; init; }

    /// <summary>
    /// Leaves the step's garbage to the finalizer, as the trainer did before <see cref="TrainingStepMemory.FreeStepGarbage"/>
    /// (the allocator benchmark's <c>keep-garbage</c>: the previous code's behaviour, for a same-run comparison).
    /// </summary>
    public bool KeepGarbage { get; init; }

    /// <summary>One step in train mode, then what the trainer does after a step (<see cref="TrainingStepMemory.AfterStep"/>) with <see cref="TrimPolicy"/> and <see cref="KeepGarbage"/> where set; returns the tokens it processed.</summary>
    public double Step()
    {
        Model.train();
        using var scope = NewDisposeScope();
        FusedAdamWStep.ClearGradients(optimizer);   // as the trainer does
        using (NewDisposeScope())
        {
            Model.Forward(inputs, mask, labels: labels).Loss!.backward();
        }

        FusedAdamWStep.Step(optimizer);   // the trainer's step
        scope.Dispose();
        if (TrimPolicy is null && !KeepGarbage)
        {
            TrainingStepMemory.AfterStep();
            return Tokens;
        }

        if (!KeepGarbage)
        {
            TrainingStepMemory.FreeStepGarbage();
        }

        (TrimPolicy ?? (GlibcMallocSettings.Applied ? StepTrimPolicy.Library : null))?.AfterStep();
        return Tokens;
    }

    public void Dispose()
    {
        trainingSpan.Dispose();
        optimizer.Dispose();
        labels.Dispose();
        mask.Dispose();
        inputs.Dispose();
        Model.Dispose();
    }
}
