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
/// <param name="PromptTokens">Prompt tokens of the calls made in this run (the server's usage; estimated where it gives none, see <see cref="TokensEstimated"/>).</param>
/// <param name="CompletionTokens">Completion tokens of the calls made in this run (likewise).</param>
/// <param name="RowsWithGold">Rows with a gold label whose teacher calls succeeded (see <see cref="GoldRows"/> for all rows with gold).</param>
/// <param name="TeacherCorrect">Of those, rows whose teacher label matches gold (parse failures count as wrong).</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record AnnotationReport(
    string Teacher, int Rows, IReadOnlyDictionary<string, int> StatusCounts, int NoLabelFound, int RowsDropped,
    long Calls, long CacheHits, long CallFailures, long PromptTokens, long CompletionTokens,
    int RowsWithGold, int TeacherCorrect, TimeSpan Elapsed)
{
    /// <summary>Input rows that have a gold target, answered or not.</summary>
    public int GoldRows { get; init; }

    /// <summary>True when some token counts were estimated with a tokenizer because the teacher reported no usage.</summary>
    public bool TokensEstimated { get; init; }

    /// <summary>What this run's calls cost (batched ones at the batch discount), when prices are set; else <c>null</c>.</summary>
    public double? Cost { get; init; }

    /// <summary>True when calls were left out because they could pass <see cref="RationaleAnnotatorOptions.MaxCost"/>.</summary>
    public bool BudgetReached { get; init; }

    /// <summary>Of <see cref="Calls"/>, those answered through a provider batch.</summary>
    public long BatchedCalls { get; init; }

    /// <summary>Provider batches this run created (resumed ones not counted).</summary>
    public int BatchesCreated { get; init; }

    /// <summary>How the rationales were asked for (<see cref="RationaleAnnotatorOptions.Rationales"/>); with <see cref="RationaleMode.ExplainGold"/> there is no teacher accuracy.</summary>
    public RationaleMode Rationales { get; init; }

    /// <summary>Exemplars the teacher wrote for this run (<see cref="RationaleAnnotatorOptions.BootstrapExemplars"/>); 0 when none were asked for.</summary>
    public int BootstrappedExemplars { get; init; }

    /// <summary>Of <see cref="Calls"/>, those made to bootstrap exemplars.</summary>
    public long BootstrapCalls { get; init; }

    /// <summary>Rows that ended <c>ok</c>.</summary>
    public int Ok => Count(AnnotationStatus.Ok);

    /// <summary>Rows that ended <c>label-only</c> (a label without a rationale).</summary>
    public int LabelOnly => Count(AnnotationStatus.LabelOnly);

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
        var cost = Cost is { } c ? FormattableString.Invariant($", cost {c:0.######}") : "";
        var estimated = TokensEstimated ? " (some estimated)" : "";
        return FormattableString.Invariant(
            $"{Rows} rows ({statuses}), {Calls} calls, {CacheHits} cache hits, {CallFailures} failed calls, tokens {PromptTokens} prompt / {CompletionTokens} completion{estimated}{cost}, teacher accuracy {accuracy}, {Elapsed.TotalSeconds:0.00} s");
    }
}
