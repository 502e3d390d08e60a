using MLNet.StepDistill.Deployment;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Answers rows with a trained TorchSharp student, the same way in validation and in the ML.NET transformer: the
/// answering is <see cref="StudentAnswerer"/>'s (shared with the ONNX student); this puts the module in eval mode first.
/// </summary>
/// <remarks>
/// Not serialised: the cursors of a cursor set call <see cref="Answer"/> from several threads at once. Each call works in
/// its own dispose scope, grad mode and decoder cache (all per thread or per call in TorchSharp and this library), and
/// only reads the weights; switching the module to eval mode is idempotent.
/// </remarks>
internal sealed class StudentPredictor(ISeq2SeqStudent student, StudentAnswerSpec spec)
{
    private readonly StudentAnswerer answerer = new(student, spec);

    public StudentAnswerSpec Spec => spec;

    public ISeq2SeqStudent Student => student;

    /// <summary>Answers a batch of rows; <paramref name="choices"/> holds each row's choices (multiple-choice only).</summary>
    public StudentAnswer[] Answer(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>>? choices, bool withRationale)
    {
        student.Module.eval();
        return answerer.Answer(inputs, choices, withRationale);
    }
}
