namespace MLNet.StepDistill.Teaching;

/// <summary>How one annotation run went.</summary>
/// <param name="Teacher">The teacher's cache identity (endpoint kind, address, model; never a key).</param>
/// <param name="Rows">Input rows.</param>
/// <param name="StatusCounts">Rows per status (every value of <see cref="AnnotationStatus.All"/> is present).</param>
/// <param name="NoLabelFound">Of the <c>parse-failed</c> rows, those where no label text was found at all.</param>
/// <param name="RowsDropped">Rows left out of the annotated data by <see cref="RationaleAnnotatorOptions.DropUnusableRows"/>.</param>
/// <param name="Calls">Completions asked of the teacher (cache hits and HTTP retries not counted).</param>
/// <param name="CacheHits">Completions answered from the cache.</param>
/// <param name="CallFailures">Calls that failed for good.</param>
/// <param name="PromptTokens">Prompt tokens of the calls made, when the server reports usage (0 otherwise).</param>
/// <param name="CompletionTokens">Completion tokens of the calls made, when the server reports usage (0 otherwise).</param>
/// <param name="RowsWithGold">Rows with a gold label whose teacher calls succeeded.</param>
/// <param name="TeacherCorrect">Of those, rows whose teacher label matches gold (parse failures count as wrong).</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record AnnotationReport(
    string Teacher, int Rows, IReadOnlyDictionary<string, int> StatusCounts, int NoLabelFound, int RowsDropped,
    long Calls, long CacheHits, long CallFailures, long PromptTokens, long CompletionTokens,
    int RowsWithGold, int TeacherCorrect, TimeSpan Elapsed)
{
    /// <summary>Rows that ended <c>ok</c>.</summary>
    public int Ok => Count(AnnotationStatus.Ok);

    /// <summary>Rows that ended <c>parse-failed</c>.</summary>
    public int ParseFailed => Count(AnnotationStatus.ParseFailed);

    /// <summary>Rows that ended <c>call-failed</c>.</summary>
    public int CallFailed => Count(AnnotationStatus.CallFailed);

    /// <summary>Rows that ended <c>filtered</c>.</summary>
    public int Filtered => Count(AnnotationStatus.Filtered);

    /// <summary><see cref="TeacherCorrect"/> / <see cref="RowsWithGold"/>, or null when no row has gold.</summary>
    public double? TeacherAccuracy => RowsWithGold == 0 ? null : (double)TeacherCorrect / RowsWithGold;

    /// <summary>Rows per status.</summary>
    public int Count(string status) => StatusCounts.TryGetValue(status, out var n) ? n : 0;

    /// <summary>One line for logs: rows, statuses, calls, cache hits, tokens and accuracy.</summary>
    public override string ToString()
    {
        var statuses = string.Join(", ", AnnotationStatus.All.Select(s => $"{s} {Count(s)}"));
        var accuracy = TeacherAccuracy is { } a ? FormattableString.Invariant($"{a:0.0000} ({TeacherCorrect}/{RowsWithGold})") : "n/a";
        return FormattableString.Invariant(
            $"{Rows} rows ({statuses}), {Calls} calls, {CacheHits} cache hits, {CallFailures} failed calls, tokens {PromptTokens} prompt / {CompletionTokens} completion, teacher accuracy {accuracy}, {Elapsed.TotalSeconds:0.00} s");
    }
}
