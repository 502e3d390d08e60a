using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// What the trainer needs from a text-to-text student: a loss for a batch, per-candidate log-likelihoods, generation, and
/// its weights. <see cref="T5Student"/> is the implementation over the T5 of <c>MLNet.StepDistill.T5</c>.
/// </summary>
internal interface ISeq2SeqStudent : IDisposable
{
    /// <summary>The torch module whose parameters train and whose state dict is checkpointed.</summary>
    nn.Module Module { get; }

    /// <summary>
    /// The generator the student's dropout draws from in training, whose state a checkpoint saves and a resume restores;
    /// null (default): torch's process-wide generator.
    /// </summary>
    Generator? RandomGenerator => null;

    /// <summary>Mean cross-entropy over the target tokens of a batch (Hugging Face semantics, padding ignored), with grad.</summary>
    Tensor Loss(IReadOnlyList<string> inputs, IReadOnlyList<string> targets);

    /// <summary>
    /// The token log-likelihood of each candidate target for its input, summed or averaged over the candidate's tokens
    /// (<paramref name="aggregation"/>; no grad). Implementations score the whole batch at once.
    /// </summary>
    float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates, ScoreAggregation aggregation = ScoreAggregation.Sum);

    /// <summary>Greedy generation, one text per input (no grad).</summary>
    string[] Generate(IReadOnlyList<string> inputs);

    /// <summary>Writes the student as a Hugging Face folder (config.json, model.safetensors, spiece.model).</summary>
    void SavePretrained(string folder);
}
