using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Deployment;

/// <summary>
/// What answering rows needs from a runtime that holds a student's weights (TorchSharp or ONNX Runtime): the
/// log-likelihood of candidate targets, and generation. <see cref="StudentAnswerer"/> does the rest, the same for both.
/// </summary>
public interface IStudentRuntime
{
    /// <summary>
    /// The token log-likelihood of each candidate target for its input (EOS included), aggregated as
    /// <paramref name="aggregation"/> says; result[i][c] belongs to candidate c of input i. The whole batch at once.
    /// </summary>
    float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates, ScoreAggregation aggregation = ScoreAggregation.Sum);

    /// <summary>Greedy generation up to the student's target length, one decoded text per input.</summary>
    string[] Generate(IReadOnlyList<string> inputs);
}
