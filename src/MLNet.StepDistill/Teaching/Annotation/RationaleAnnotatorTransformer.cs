using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Annotates data with a teacher: adds <c>Rationale</c>, <c>TeacherLabel</c> and <c>AnnotationStatus</c> text columns and
/// keeps every input column. Annotation is eager: <see cref="Transform"/> makes every teacher call up front (concurrently,
/// through the persistent cache) and returns a view over the results, so cursors opened on it, any number of times and in
/// parallel, call no teacher and give the same rows. Transforming the same <see cref="IDataView"/> instance again returns
/// the same annotated view.
/// </summary>
/// <remarks>
/// Annotation is a one-time data step, not a model: save the annotated data (e.g. <c>mlContext.Data.SaveAsText</c>),
/// not this transformer. The input view must give the same rows each time it is read (ML.NET's loaders do); the output
/// checks the ids and throws if they change.
/// </remarks>
public sealed class RationaleAnnotatorTransformer : ITransformer
{
    private readonly MLContext mlContext;
    private readonly ITeacher teacher;
    private readonly RationaleAnnotatorOptions options;
    private readonly ConditionalWeakTable<IDataView, Task<AnnotationResult>> done = new();
    private readonly Lock lockObject = new();

    internal RationaleAnnotatorTransformer(MLContext mlContext, ITeacher teacher, RationaleAnnotatorOptions options)
    {
        this.mlContext = mlContext;
        this.teacher = teacher;
        this.options = options;
    }

    /// <summary>The report of the most recent annotation run, or <c>null</c> before the first.</summary>
    public AnnotationReport? LastReport { get; private set; }

    /// <summary>False: rows cannot be annotated one by one without the up-front run.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>The input schema with the three annotation columns added.</summary>
    /// <exception cref="ArgumentException">A column of the task schema is missing or not text (the message names it).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        RequireColumns(inputSchema, options.Schema!);
        return AnnotatedDataView.BuildSchema(inputSchema, options);
    }

    /// <summary>Not supported: annotation is a whole-data step (see <see cref="IsRowToRowMapper"/>).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("RationaleAnnotatorTransformer annotates whole data views (eagerly); it has no row-to-row mapper.");

    /// <summary>Annotates <paramref name="input"/> now (or returns the earlier result for the same instance) and returns the annotated view.</summary>
    /// <exception cref="OperationCanceledException">Never from here: use <see cref="AnnotateAsync"/> to cancel.</exception>
    public IDataView Transform(IDataView input) =>
        Task.Run(() => AnnotateAsync(input, CancellationToken.None)).GetAwaiter().GetResult().Data;

    /// <summary>
    /// Annotates <paramref name="input"/>: one prompt per row, <see cref="RationaleAnnotatorOptions.Samples"/> completions each,
    /// rows in parallel up to the concurrency limit. A row whose calls fail ends <c>call-failed</c>; cancelling stops the run
    /// (completions already received stay cached, so running again resumes). The same instance is annotated once.
    /// </summary>
    /// <exception cref="DatasetFormatException">A task column is missing or has the wrong type.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<AnnotationResult> AnnotateAsync(IDataView input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        Task<AnnotationResult> run;
        lock (lockObject)
        {
            if (done.TryGetValue(input, out var earlier) && !earlier.IsFaulted && !earlier.IsCanceled)
            {
                return earlier;
            }
            run = RunAsync(input, cancellationToken);
            done.AddOrUpdate(input, run);
        }
        return run;
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            "A RationaleAnnotatorTransformer cannot be saved: annotation prepares training data, and a saved model must never call a teacher. "
            + "Save the annotated data instead (mlContext.Data.SaveAsText, or stepdistill annotate --out), and fit and save the pipeline that starts after "
            + "the annotator (e.g. annotator.Annotate(data) first, then Fit the rest of the pipeline on the result and save that).");

    private async Task<AnnotationResult> RunAsync(IDataView input, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var schema = options.Schema!;
        var examples = TaskExampleReader.Read(input, schema);
        var (rows, report, exemplars) = await new AnnotationRun(teacher, options, mlContext).RunAsync(examples, cancellationToken).ConfigureAwait(false);
        var keep = rows.Select(r => !options.DropUnusableRows || r.Status is not (AnnotationStatus.ParseFailed or AnnotationStatus.Filtered)).ToArray();
        report = report with { RowsDropped = keep.Count(k => !k) };
        LastReport = report;
        return new AnnotationResult(new AnnotatedDataView(input, schema.IdField, rows, keep, options), rows, report) { Exemplars = exemplars };
    }

    internal static void RequireColumns(DataViewSchema input, TaskSchema schema)
    {
        var names = new List<string> { schema.IdField };
        names.AddRange(schema.InputFields);
        if (schema.TargetField is { } target)
        {
            names.Add(target);
        }
        foreach (var name in names)
        {
            var column = input.GetColumnOrNull(name)
                ?? throw new ArgumentException($"The input has no column '{name}' (the task schema needs it); its columns are {string.Join(", ", input.Select(c => c.Name))}.", nameof(input));
            if (column.Type is not TextDataViewType)
            {
                throw new ArgumentException($"Column '{name}' is {column.Type}; the annotator needs text.", nameof(input));
            }
        }
    }
}
