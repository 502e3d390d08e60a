using System.Text.Json;
using System.Text.Json.Serialization;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Deployment;

/// <summary>
/// How a trained student answers rows: everything besides the weights that either runtime needs (training mode, what
/// the answer is, its classes, the input and output columns, the task prefixes, lengths and scoring). One JSON shape,
/// written as <c>head.json</c> in a model zip and as the <c>"student"</c> section of an exported folder's
/// <c>manifest.json</c>; <see cref="StudentAnswerSpecJson"/> reads it and the shapes saved before it.
/// </summary>
/// <remarks>
/// What the student outputs follows from <see cref="AnswerKind"/> and <see cref="Labels"/>: a
/// <see cref="TaskAnswerKind.Choice"/> student scores each row's own choices; any other with labels scores its labels;
/// the rest generate open text (<see cref="IsOpenTarget"/>).
/// </remarks>
public sealed record StudentAnswerSpec
{
    /// <summary>The version of this JSON shape. Version 2 was the old <c>head.json</c> (enums as numbers, two answer kinds); ONNX manifests' student sections had no version.</summary>
    public const int CurrentFormatVersion = 3;

    /// <summary>The JSON shape's version (<see cref="CurrentFormatVersion"/> when written by this library).</summary>
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>
    /// What the student outputs: the label alone, the label and rationale tasks, or one joined output (the shape its
    /// <see cref="Method"/> gives it, which decides how it answers).
    /// </summary>
    [JsonPropertyName("mode")]
    [JsonConverter(typeof(JsonStringEnumConverter<TrainingMode>))]
    public TrainingMode Mode { get; init; } = TrainingMode.StepByStep;

    /// <summary>
    /// How the student was trained, by the method's name (<c>fine-tuning</c>, <c>distillation</c>, <c>step-by-step-gold</c>,
    /// <c>step-by-step-teacher</c>, <c>single-task</c>, <c>step-by-step-explained</c>: <c>Training.TrainingMethods.Name</c>);
    /// null in specs saved before the method was recorded (their <see cref="Mode"/> still says how they answer).
    /// </summary>
    [JsonPropertyName("method")] public string? Method { get; init; }

    /// <summary>What the answer is, which decides how the student answers (see the remarks) and how its answers compare to gold ones.</summary>
    [JsonPropertyName("answer_kind")]
    [JsonConverter(typeof(JsonStringEnumConverter<TaskAnswerKind>))]
    public TaskAnswerKind AnswerKind { get; init; } = TaskAnswerKind.Label;

    /// <summary>The closed label set, in class order; empty for choices and open text.</summary>
    [JsonPropertyName("labels")] public string[] Labels { get; init; } = [];

    /// <summary>How many of a row's choices are scored (multiple-choice students).</summary>
    [JsonPropertyName("choice_count")] public int ChoiceCount { get; init; }

    /// <summary>The ML.NET column holding the formatted input text.</summary>
    [JsonPropertyName("input_column")] public string InputColumnName { get; init; } = "Input";

    /// <summary>The ML.NET column holding each row's choices (multiple-choice students).</summary>
    [JsonPropertyName("choices_column")] public string? ChoicesColumnName { get; init; }

    /// <summary>Whether the saved transformer generates rationales.</summary>
    [JsonPropertyName("generate_rationale")] public bool GenerateRationale { get; init; }

    /// <summary>Longest input in tokens (longer ones are cut, EOS kept).</summary>
    [JsonPropertyName("max_input_length")] public int MaxInputLength { get; init; }

    /// <summary>Longest target in tokens; also the generation limit.</summary>
    [JsonPropertyName("max_target_length")] public int MaxTargetLength { get; init; }

    /// <summary>How a candidate's token log-likelihoods add up to its score before the softmax over the classes.</summary>
    [JsonPropertyName("score_aggregation")]
    [JsonConverter(typeof(JsonStringEnumConverter<ScoreAggregation>))]
    public ScoreAggregation ScoreAggregation { get; init; } = ScoreAggregation.Sum;

    /// <summary>The prefix of the label task, put before the input (<see cref="TaskPrefixes.Predict"/>).</summary>
    [JsonPropertyName("predict_prefix")] public string PredictPrefix { get; init; } = TaskPrefixes.Predict;

    /// <summary>The prefix of the rationale task (<see cref="TaskPrefixes.Explain"/>).</summary>
    [JsonPropertyName("explain_prefix")] public string ExplainPrefix { get; init; } = TaskPrefixes.Explain;

    /// <summary>What joins rationale and answer in a single-task student's output (<see cref="SingleTaskFormat.AnswerMarker"/>).</summary>
    [JsonPropertyName("answer_marker")] public string AnswerMarker { get; init; } = SingleTaskFormat.AnswerMarker;

    /// <summary>The output column of the class probabilities.</summary>
    [JsonPropertyName("score_column")] public string ScoreColumnName { get; init; } = "Score";

    /// <summary>The output column of the predicted class (a key).</summary>
    [JsonPropertyName("predicted_label_column")] public string PredictedLabelColumnName { get; init; } = "PredictedLabel";

    /// <summary>The output column of the predicted label, choice or generated text.</summary>
    [JsonPropertyName("predicted_text_column")] public string PredictedTextColumnName { get; init; } = "PredictedText";

    /// <summary>The output column of the generated rationale.</summary>
    [JsonPropertyName("predicted_rationale_column")] public string PredictedRationaleColumnName { get; init; } = "PredictedRationale";

    /// <summary>Rows the TorchSharp transformer's cursors answer together (the ONNX transformer answers its own fixed batch).</summary>
    [JsonPropertyName("prediction_batch_size")] public int PredictionBatchSize { get; init; } = 16;

    /// <summary>Whether the student scores each row's own choices (its classes are the choice positions a, b, c, ...).</summary>
    [JsonIgnore] public bool IsMultipleChoice => AnswerKind == TaskAnswerKind.Choice;

    /// <summary>Whether the student generates its answer as open text (no classes, no scores).</summary>
    [JsonIgnore] public bool IsOpenTarget => !IsMultipleChoice && Labels.Length == 0;

    /// <summary>Whether the student learned rationales (any mode but <see cref="TrainingMode.Standard"/>).</summary>
    [JsonIgnore] public bool CanExplain => Mode != TrainingMode.Standard;

    /// <summary>How many classes <c>Score</c> has: the labels, or the scored choices; 0 for open text.</summary>
    [JsonIgnore] public int ClassCount => IsMultipleChoice ? ChoiceCount : Labels.Length;

    /// <summary>The classes of <c>Score</c> and <c>PredictedLabel</c>: the labels, or the choice letters a, b, c, ...; empty for open text.</summary>
    [JsonIgnore]
    public string[] ClassNames => IsMultipleChoice ? MultipleChoiceFormat.ChoiceLetters(ChoiceCount) : Labels;

    /// <summary>
    /// The answer kind of a student that scores each row's choices (<paramref name="scoresRowChoices"/>) or not, whose
    /// answers compare as <paramref name="comparison"/>: choices make it <see cref="TaskAnswerKind.Choice"/>; without
    /// them a <see cref="TaskAnswerKind.Choice"/> comparison (normalised text) is a <see cref="TaskAnswerKind.Label"/> one.
    /// </summary>
    public static TaskAnswerKind AnswerKindFor(bool scoresRowChoices, TaskAnswerKind comparison) =>
        scoresRowChoices ? TaskAnswerKind.Choice : comparison == TaskAnswerKind.Choice ? TaskAnswerKind.Label : comparison;

    /// <summary>The spec as JSON (the text of <c>head.json</c>, and of a manifest's <c>"student"</c> section).</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>
    /// What makes the spec unusable, naming the key (after <paramref name="keyPrefix"/>, e.g. <c>"student."</c>), or null
    /// when it is usable.
    /// </summary>
    internal string? Problem(string keyPrefix = "")
    {
        const int maxSequenceLength = 1 << 16;
        string Key(string name) => $"key \"{keyPrefix}{name}\"";
        return this switch
        {
            _ when !Enum.IsDefined(Mode) => $"{Key("mode")} = {(int)Mode} is not a training mode",
            _ when !Enum.IsDefined(AnswerKind) => $"{Key("answer_kind")} = {(int)AnswerKind} is not an answer kind",
            _ when !Enum.IsDefined(ScoreAggregation) => $"{Key("score_aggregation")} = {(int)ScoreAggregation} is not a score aggregation",
            { Labels: null } => $"{Key("labels")} is null",
            _ when Labels.Any(string.IsNullOrEmpty) => $"{Key("labels")} holds an empty or null label",
            _ when Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Length => $"{Key("labels")} names a label twice",
            { IsMultipleChoice: true, ChoiceCount: < 1 or > 26 } => $"{Key("choice_count")} = {ChoiceCount} must be between 1 and 26 for a multiple-choice student",
            { IsMultipleChoice: true, ChoicesColumnName: null or "" } => $"{Key("choices_column")} is empty, but the student answers multiple-choice rows",
            { InputColumnName: null or "" } => $"{Key("input_column")} is empty",
            _ when new[] { ScoreColumnName, PredictedLabelColumnName, PredictedTextColumnName, PredictedRationaleColumnName }.Any(string.IsNullOrEmpty) => "an output column name is empty",
            _ when new[] { PredictPrefix, ExplainPrefix, AnswerMarker }.Any(p => p is null) => $"{Key("predict_prefix")}, {Key("explain_prefix")} or {Key("answer_marker")} is null",
            { AnswerMarker: var marker } when marker.Trim().Length == 0 => $"{Key("answer_marker")} is blank",
            { PredictionBatchSize: < 1 or > 4096 } => $"{Key("prediction_batch_size")} = {PredictionBatchSize} must be between 1 and 4096",
            { MaxInputLength: < 1 or > maxSequenceLength } => $"{Key("max_input_length")} = {MaxInputLength} must be between 1 and {maxSequenceLength}",
            { MaxTargetLength: < 1 or > maxSequenceLength } => $"{Key("max_target_length")} = {MaxTargetLength} must be between 1 and {maxSequenceLength}",
            _ => null,
        };
    }
}
