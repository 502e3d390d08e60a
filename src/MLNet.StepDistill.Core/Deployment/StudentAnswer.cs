namespace MLNet.StepDistill.Deployment;

/// <summary>A student's answer to one row, from either runtime.</summary>
/// <param name="Scores">Softmax over the classes of the candidates' log-likelihoods (empty for open text).</param>
/// <param name="PredictedIndex">The 0-based class of the highest score (-1 for open text or a row without choices).</param>
/// <param name="PredictedText">The predicted label text, choice text, or generated text.</param>
/// <param name="Rationale">The generated rationale, or empty when none was asked for.</param>
public sealed record StudentAnswer(float[] Scores, int PredictedIndex, string PredictedText, string Rationale);
