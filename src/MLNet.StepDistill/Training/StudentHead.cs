using System.Text.Json.Serialization;

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
    public const int FormatVersion = 1;

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

    /// <summary>How candidate scores aggregate token log-likelihoods; models saved before this field score by the sum.</summary>
    [JsonPropertyName("score_aggregation")] public ScoreAggregation ScoreAggregation { get; init; } = ScoreAggregation.Sum;

    /// <summary>The class names Score and PredictedLabel use: the labels, or the choice letters a, b, c, ...</summary>
    [JsonIgnore]
    public string[] ClassNames => Kind switch
    {
        AnswerKind.FixedLabels => Labels,
        AnswerKind.Choices => ChoiceLetters(ChoiceCount),
        _ => [],
    };

    /// <summary>The letters a, b, c, ... of <paramref name="count"/> choice positions.</summary>
    public static string[] ChoiceLetters(int count) => Enumerable.Range(0, count).Select(i => ((char)('a' + i)).ToString()).ToArray();
}
