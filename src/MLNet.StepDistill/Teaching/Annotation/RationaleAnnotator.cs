using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Step one of Distilling Step-by-Step as an ML.NET estimator: a teacher (any chat model through
/// <see cref="ChatClientTeacher"/>, or recorded completions) labels each row and explains its label. Create it with
/// <c>mlContext.StepDistill().AnnotateRationales(teacher, options)</c>. <see cref="Fit"/> annotates its data at once
/// (through the persistent cache), so <c>Fit(data).Transform(data)</c> makes each teacher call once.
/// </summary>
/// <example><code>
/// var cqa = TaskDataset.Open("datasets/cqa");
/// IDataView train = cqa.LoadSplit(mlContext, "train");
/// using var teacher = OpenAiCompatibleTeacher.Create(new Uri("https://api.openai.com/v1"), "gpt-4o-mini", apiKey);
/// var annotator = mlContext.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(cqa.Manifest));
/// IDataView annotated = annotator.Fit(train).Transform(train);   // + Rationale, TeacherLabel, AnnotationStatus
/// </code></example>
public sealed class RationaleAnnotator : IEstimator<RationaleAnnotatorTransformer>
{
    private readonly MLContext mlContext;
    private readonly ITeacher teacher;
    private readonly RationaleAnnotatorOptions options;

    internal RationaleAnnotator(MLContext mlContext, ITeacher teacher, RationaleAnnotatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.mlContext = mlContext;
        this.teacher = teacher;
        this.options = options;
    }

    /// <summary>Annotates <paramref name="input"/> now and returns the transformer holding the result.</summary>
    public RationaleAnnotatorTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new RationaleAnnotatorTransformer(mlContext, teacher, options);
        transformer.Transform(input);
        return transformer;
    }

    /// <summary>
    /// Annotates <paramref name="input"/> now, cancellably, and returns the transformer holding the result
    /// (<see cref="RationaleAnnotatorTransformer.AnnotateAsync"/> on the same instance then returns it at once).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; completions received so far stay cached.</exception>
    public async Task<RationaleAnnotatorTransformer> FitAsync(IDataView input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new RationaleAnnotatorTransformer(mlContext, teacher, options);
        await transformer.AnnotateAsync(input, cancellationToken).ConfigureAwait(false);
        return transformer;
    }

    /// <summary>
    /// Annotation as what it is, training-data preparation: annotates <paramref name="input"/> now and returns the
    /// annotated view together with the per-row decisions and the run's report (one run: the same calls as
    /// <see cref="FitAsync"/>). Nothing of this is a model: save <see cref="AnnotationResult.Data"/>, not the annotator.
    /// </summary>
    /// <exception cref="TeacherUnavailableException">The teacher cannot be reached (rejected key, no such model or path, nothing listening).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; completions received so far stay cached.</exception>
    public async Task<AnnotationResult> AnnotateAsync(IDataView input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new RationaleAnnotatorTransformer(mlContext, teacher, options);
        return await transformer.AnnotateAsync(input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The synchronous form of <see cref="AnnotateAsync"/>.</summary>
    /// <exception cref="TeacherUnavailableException">The teacher cannot be reached.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public AnnotationResult Annotate(IDataView input, CancellationToken cancellationToken = default) =>
        Task.Run(() => AnnotateAsync(input, cancellationToken), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// A dry run: counts the requests the cache lacks for <paramref name="input"/>, their prompt tokens (the
    /// <c>o200k_base</c> tokenizer) and an estimate of their completion tokens
    /// (<see cref="RationaleAnnotatorOptions.CompletionTokensEstimate"/>), and prices them with
    /// <see cref="RationaleAnnotatorOptions.Prices"/>, live and batched. Calls nothing.
    /// </summary>
    public AnnotationEstimate Estimate(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var examples = Tasks.TaskExampleReader.Read(input, options.Schema!);
        return new AnnotationRun(teacher, options, mlContext).Estimate(examples);
    }

    /// <summary>
    /// The messages the teacher receives for <paramref name="example"/> (system, user, and the JSON schema with
    /// <see cref="TeacherResponseFormat.Json"/>), built as the run builds them, without calling anything. With
    /// <see cref="RationaleAnnotatorOptions.BootstrapExemplars"/> the run's exemplars are the teacher's and come later.
    /// </summary>
    public TeacherPrompt PreviewPrompt(Tasks.TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return new AnnotationRun(teacher, options, null).Preview(example);
    }

    /// <summary>The input shape with <c>Rationale</c>, <c>TeacherLabel</c> and <c>AnnotationStatus</c> text columns added.</summary>
    /// <exception cref="ArgumentException">A column of the task schema is missing or not text.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var schema = options.Schema!;
        var required = new List<string> { schema.IdField };
        required.AddRange(schema.InputFields);
        if (schema.TargetField is { } target)
        {
            required.Add(target);
        }
        foreach (var name in required)
        {
            var matches = inputSchema.Where(c => c.Name == name).ToArray();
            if (matches.Length == 0)
            {
                throw new ArgumentException($"The input has no column '{name}' (the task schema needs it).", nameof(inputSchema));
            }
            var column = matches[^1];
            if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            {
                throw new ArgumentException($"Column '{name}' is not a text scalar; the annotator needs text.", nameof(inputSchema));
            }
        }
        // ML.NET keeps SchemaShape.Column's constructor internal; a custom mapping's shape is the public way to add columns.
        var added = SchemaDefinition.Create(typeof(AnnotationColumns));
        added[nameof(AnnotationColumns.Rationale)].ColumnName = options.RationaleColumnName;
        added[nameof(AnnotationColumns.TeacherLabel)].ColumnName = options.TeacherLabelColumnName;
        added[nameof(AnnotationColumns.AnnotationStatus)].ColumnName = options.StatusColumnName;
        return mlContext.Transforms.CustomMapping<NoColumns, AnnotationColumns>((_, _) => { }, contractName: null, outputSchemaDefinition: added)
            .GetOutputSchema(inputSchema);
    }

    private sealed class NoColumns
    {
    }

    private sealed class AnnotationColumns
    {
        public string Rationale { get; set; } = "";

        public string TeacherLabel { get; set; } = "";

        public string AnnotationStatus { get; set; } = "";
    }
}
