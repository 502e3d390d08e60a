using System.Text.Json;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Training;

/// <summary>Reads and checks a student's <c>head.json</c> from a model zip, and restates weight errors as errors about the zip's entries.</summary>
internal static class StudentHeadFile
{
    private const int MaxSequenceLength = 1 << 16;

    private static readonly JsonSerializerOptions HeadJson = new() { AllowDuplicateProperties = false };

    /// <exception cref="ModelFormatException">The entry is not JSON, repeats a key, or holds a value no student can have.</exception>
    public static StudentHead Read(ArchiveFolder folder, string entry)
    {
        var path = folder.ArchivePath;
        var name = folder.EntryName(entry);
        StudentHead? head;
        try
        {
            using var stream = folder.Open(entry);
            head = JsonSerializer.Deserialize<StudentHead>(stream, HeadJson);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(path, $"entry {name}: {ex.Message.Split(" Path:", 2)[0]}{(ex is JsonException { Path: { } p } ? $" (key {p})" : "")}", ex);
        }

        string? problem = head switch
        {
            null => "is empty (null)",
            { Version: not StudentHead.FormatVersion } => $"has format version {head.Version}; this library reads {StudentHead.FormatVersion}",
            _ when !Enum.IsDefined(head.Mode) => $"\"mode\" = {(int)head.Mode} is not a training mode",
            _ when !Enum.IsDefined(head.Kind) => $"\"answer_kind\" = {(int)head.Kind} is not an answer kind",
            _ when !Enum.IsDefined(head.ScoreAggregation) => $"\"score_aggregation\" = {(int)head.ScoreAggregation} is not a score aggregation",
            _ when !Enum.IsDefined(head.Comparison) => $"\"answer_kind_compared\" = {(int)head.Comparison} is not a task answer kind",
            { Labels: null } => "\"labels\" is null",
            _ when head.Labels.Any(l => string.IsNullOrEmpty(l)) => "\"labels\" holds an empty or null label",
            _ when head.Labels.Distinct(StringComparer.Ordinal).Count() != head.Labels.Length => "\"labels\" names a label twice",
            { Kind: AnswerKind.FixedLabels, Labels.Length: 0 } => "\"labels\" is empty, but the student answers with fixed labels",
            { Kind: AnswerKind.Choices, ChoiceCount: < 1 or > 26 } => $"\"choice_count\" = {head.ChoiceCount} must be between 1 and 26",
            { InputColumnName: null or "" } => "\"input_column\" is empty",
            _ when new[] { head.ScoreColumnName, head.PredictedLabelColumnName, head.PredictedTextColumnName, head.PredictedRationaleColumnName }.Any(string.IsNullOrEmpty) => "an output column name is empty",
            { PredictionBatchSize: < 1 or > 4096 } => $"\"prediction_batch_size\" = {head.PredictionBatchSize} must be between 1 and 4096",
            { MaxInputLength: < 1 or > MaxSequenceLength } => $"\"max_input_length\" = {head.MaxInputLength} must be between 1 and {MaxSequenceLength}",
            { MaxTargetLength: < 1 or > MaxSequenceLength } => $"\"max_target_length\" = {head.MaxTargetLength} must be between 1 and {MaxSequenceLength}",
            _ => null,
        };
        return problem is null ? head! : throw new ModelFormatException(path, $"entry {name}: {problem}.");
    }

    /// <summary>An error about a file of the extraction folder, restated as one about the zip's entry.</summary>
    public static ModelFormatException InEntry(ArchiveFolder folder, string prefix, string extracted, Exception error)
    {
        var message = error is ModelFormatException model ? model.Message : error.Message;
        message = message.Replace(extracted + Path.DirectorySeparatorChar, prefix, StringComparison.Ordinal).Replace(extracted, prefix.TrimEnd('/'), StringComparison.Ordinal);
        return error is FileIntegrityException
            ? new FileIntegrityException(folder.ArchivePath, $"entry {message}")
            : new ModelFormatException(folder.ArchivePath, $"entry {message}", error);
    }
}
