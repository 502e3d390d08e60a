using MLNet.StepDistill.Deployment;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// What the trainer needs from a text-to-text student: a loss for a batch, its weights, and (as an
/// <see cref="IStudentRuntime"/>, for answering) per-candidate log-likelihoods and generation (no grad).
/// <see cref="T5Student"/> is the implementation over the T5 of <c>MLNet.StepDistill.T5</c>.
/// </summary>
internal interface ISeq2SeqStudent : IStudentRuntime, IDisposable
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

    /// <summary>Writes the student as a Hugging Face folder (config.json, model.safetensors, spiece.model).</summary>
    void SavePretrained(string folder);
}
