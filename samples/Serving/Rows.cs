using System.Text.Json.Serialization;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Samples.Serving;

/// <summary>
/// A request: the dataset's raw fields, named as in its dataset.json. This class covers the shipped datasets (e-SNLI and
/// ANLI: premise, hypothesis; CommonsenseQA: question, choices; SVAMP: question); for your own dataset add a property per
/// input field with its [ColumnName]. Fields the model does not read are ignored.
/// </summary>
public sealed class PredictRequest
{
    /// <summary>NLI: the premise.</summary>
    [ColumnName("premise")] public string? Premise { get; set; }

    /// <summary>NLI: the hypothesis.</summary>
    [ColumnName("hypothesis")] public string? Hypothesis { get; set; }

    /// <summary>Question answering and math: the question.</summary>
    [ColumnName("question")] public string? Question { get; set; }

    /// <summary>Multiple choice: the answer choices.</summary>
    [ColumnName("choices")] public string[] Choices { get; set; } = [];
}

/// <summary>What the student's pipeline gives for one row (its ML.NET output columns).</summary>
public sealed class ServedAnswer
{
    /// <summary>One probability per class (empty for an open target).</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The predicted label's text (a multiple-choice student: the chosen choice; math: the equation).</summary>
    public string PredictedText { get; set; } = "";

    /// <summary>The rationale, when asked for.</summary>
    public string PredictedRationale { get; set; } = "";
}

/// <summary>The reply to POST /predict.</summary>
/// <param name="Label">The predicted label (a multiple-choice student: the chosen choice's text; math: the equation).</param>
/// <param name="Scores">Every class's probability by class name (a multiple-choice student: by choice text); absent for an open target.</param>
/// <param name="Rationale">The student's rationale, with <c>?rationale=true</c>.</param>
public sealed record PredictResponse(
    string Label,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, float>? Scores,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Rationale);

/// <summary>The reply to GET /health.</summary>
/// <param name="Status">"ok" once the model is loaded (the app does not listen before).</param>
/// <param name="Model">The model zip or folder served.</param>
/// <param name="Runtime">TorchSharp or ONNX Runtime.</param>
/// <param name="Fields">The fields every request must send.</param>
/// <param name="Classes">The classes scored (empty for an open target; choice letters for multiple choice).</param>
/// <param name="Rationale">Whether ?rationale=true is available.</param>
/// <param name="Requests">Requests answered or waiting since start.</param>
/// <param name="Batches">Batches run since start.</param>
/// <param name="MeanBatchSize">Rows per batch on average.</param>
public sealed record HealthResponse(string Status, string Model, string Runtime, IReadOnlyList<string> Fields, IReadOnlyList<string> Classes, bool Rationale,
    long Requests, long Batches, double MeanBatchSize);
