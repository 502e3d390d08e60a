using System.Text.Json.Serialization;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>What kind of answer the student gives.</summary>
internal enum AnswerKind
{
    /// <summary>One label of a fixed set: Score per label, key-typed PredictedLabel.</summary>
    FixedLabels,

    /// <summary>One of the row's own choices: Score per choice position, PredictedLabel = position.</summary>
    Choices,

    /// <summary>Free text (e.g. an equation): PredictedText by generation.</summary>
    OpenText,
}

/// <summary>
/// How a trained student answers: everything besides the weights that the transformer needs, saved next to the weights
/// in the model zip.
/// </summary>
internal sealed record StudentHead
{
    public const int FormatVersion = 2;

    [JsonPropertyName("format_version")] public int Version { get; init; } = FormatVersion;
    [JsonPropertyName("mode")] public TrainingMode Mode { get; init; }
    [JsonPropertyName("answer_kind")] public AnswerKind Kind { get; init; }
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];
    [JsonPropertyName("choice_count")] public int ChoiceCount { get; init; }
    [JsonPropertyName("input_column")] public string InputColumnName { get; init; } = "Input";
    [JsonPropertyName("choices_column")] public string? ChoicesColumnName { get; init; }
    [JsonPropertyName("generate_rationale")] public bool GenerateRationale { get; init; }
    [JsonPropertyName("max_input_length")] public int MaxInputLength { get; init; }
    [JsonPropertyName("max_target_length")] public int MaxTargetLength { get; init; }
    [JsonPropertyName("answer_kind_compared")] public TaskAnswerKind Comparison { get; init; }
    [JsonPropertyName("score_column")] public string ScoreColumnName { get; init; } = "Score";
    [JsonPropertyName("predicted_label_column")] public string PredictedLabelColumnName { get; init; } = "PredictedLabel";
    [JsonPropertyName("predicted_text_column")] public string PredictedTextColumnName { get; init; } = "PredictedText";
    [JsonPropertyName("predicted_rationale_column")] public string PredictedRationaleColumnName { get; init; } = "PredictedRationale";
    [JsonPropertyName("prediction_batch_size")] public int PredictionBatchSize { get; init; } = 1;

    /// <summary>How candidate scores aggregate token log-likelihoods; models saved before this field score by the sum.</summary>
    [JsonPropertyName("score_aggregation")] public ScoreAggregation ScoreAggregation { get; init; } = ScoreAggregation.Sum;

    /// <summary>The class names Score and PredictedLabel use: the labels, or the choice letters a, b, c, ...</summary>
    [JsonIgnore]
    public string[] ClassNames => Kind switch
    {
        AnswerKind.FixedLabels => Labels,
        AnswerKind.Choices => MultipleChoiceFormat.ChoiceLetters(ChoiceCount),
        _ => [],
    };

}
