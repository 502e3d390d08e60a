using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// What a <see cref="RationaleAnnotator"/> needs to know: which columns hold the task, how to prompt and parse, how many
/// samples to draw, where the cache lives, and which rows to keep. Start from <see cref="ForDataset"/> for a dataset
/// with a <c>dataset.json</c>, or set <see cref="Schema"/> for your own columns.
/// </summary>
public sealed class RationaleAnnotatorOptions
{
    /// <summary>Which input columns hold the id, the input fields, the choices and the gold label. Required.</summary>
    public TaskSchema? Schema { get; set; }

    /// <summary>Where a completion holds its answer; <c>null</c> for the family's default (<see cref="CompletionMarkers.DefaultFor"/>).</summary>
    public CompletionMarkers? Markers { get; set; }

    /// <summary>The few-shot prompt; <c>null</c> for the family's default (<see cref="RationalePrompt.ForFamily"/>).</summary>
    public RationalePrompt? Prompt { get; set; }

    /// <summary>
    /// How the teacher is asked to shape its completion: free text (default), or a JSON object enforced by a JSON schema in
    /// the request (<see cref="TeacherResponseFormat.Json"/>).
    /// </summary>
    public TeacherResponseFormat ResponseFormat { get; set; } = TeacherResponseFormat.Text;

    /// <summary>
    /// Where the rationales come from: the teacher predicts and explains (default), or explains each row's gold label
    /// (<see cref="RationaleMode.ExplainGold"/>, which needs a gold label on every row).
    /// </summary>
    public RationaleMode Rationales { get; set; } = RationaleMode.TeacherLabel;

    /// <summary>
    /// Exemplars the teacher writes: when above 0, that many gold-labelled rows (spread over the labels or answers, in
    /// row order) are first sent with their gold label, asking the teacher to explain it; the explanations that parse
    /// back to the gold label replace <see cref="Prompt"/>'s exemplars for every later prompt of the run (see
    /// <see cref="AnnotationResult.Exemplars"/>). Their calls go through the same cache and count in the report's cost.
    /// The rows stay in the data. Default 0 (the prompt's own exemplars).
    /// </summary>
    public int BootstrapExemplars { get; set; }

    /// <summary>
    /// Completions per row. Above 1 this is self-consistency: the label most samples agree on wins, and the rationale
    /// of the first sample that gives it is kept. Default 1.
    /// </summary>
    public int Samples { get; set; } = 1;

    /// <summary>Sampling temperature; <c>null</c> means 0 (greedy) for one sample and 0.7 for several. Default <c>null</c>.</summary>
    public float? Temperature { get; set; }

    /// <summary>The most tokens a completion may have. Default 256.</summary>
    public int MaxOutputTokens { get; set; } = 256;

    /// <summary>
    /// Rows annotated at once; <c>null</c> takes the chat teacher's <see cref="TeacherCallOptions.MaxConcurrency"/>
    /// (8 for other teachers). The chat teacher's own limit still caps requests in flight.
    /// </summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>
    /// The persistent teacher-call cache folder (see <see cref="TeacherCallCache"/>); <c>null</c> for
    /// <see cref="DefaultCacheFolder"/>. Ignored when the teacher is already a <see cref="CachingTeacher"/> or is a
    /// <see cref="RecordedTeacher"/> (whose answers are on disk already).
    /// </summary>
    public string? CacheFolder { get; set; }

    /// <summary>Mark rows whose teacher label disagrees with the gold label <c>filtered</c> (rows without gold are kept). Default false.</summary>
    public bool FilterByGoldLabel { get; set; }

    /// <summary>Leave <c>parse-failed</c> and <c>filtered</c> rows out of the annotated data (<c>call-failed</c> rows stay, so a re-run can finish them). Default false.</summary>
    public bool DropUnusableRows { get; set; }

    /// <summary>The rationale column to add. Default <c>"Rationale"</c>.</summary>
    public string RationaleColumnName { get; set; } = "Rationale";

    /// <summary>The teacher-label column to add. Default <c>"TeacherLabel"</c>.</summary>
    public string TeacherLabelColumnName { get; set; } = "TeacherLabel";

    /// <summary>The status column to add (values of <see cref="AnnotationStatus"/>). Default <c>"AnnotationStatus"</c>.</summary>
    public string StatusColumnName { get; set; } = "AnnotationStatus";

    /// <summary>
    /// What the teacher's tokens cost; <c>null</c> for no cost accounting. With prices the report, every row and the
    /// budget (<see cref="MaxCost"/>) are in money. Default <c>null</c>.
    /// </summary>
    public TeacherPrices? Prices { get; set; }

    /// <summary>
    /// The most this run may spend (in the unit of <see cref="Prices"/>, which it needs). Each call reserves its worst
    /// case (its prompt's tokens plus <see cref="MaxOutputTokens"/>) before it starts, so spent plus in flight never
    /// passes the cap; once a call would, no more calls start and the rows left end <c>call-failed</c> (the cache stays
    /// consistent: run again with a higher budget to continue). Needs the annotator to own the cache (a teacher that is
    /// not a <see cref="CachingTeacher"/>). <c>null</c> for no cap. Default <c>null</c>.
    /// </summary>
    public double? MaxCost { get; set; }

    /// <summary>
    /// The completion length a dry run (<see cref="RationaleAnnotator.Estimate"/>) assumes per request, in tokens;
    /// <c>null</c> for the mean length of the prompt's exemplar answers (or <see cref="MaxOutputTokens"/> without
    /// exemplars). Default <c>null</c>.
    /// </summary>
    public int? CompletionTokensEstimate { get; set; }

    /// <summary>
    /// Ask through the provider's batch API (OpenAI, Azure OpenAI: about half price, answers within the completion
    /// window) instead of one request per row: needs a teacher made by <see cref="OpenAiCompatibleTeacher.Create"/>.
    /// <c>null</c> for live calls. Default <c>null</c>.
    /// </summary>
    public TeacherBatchOptions? Batch { get; set; }

    /// <summary>
    /// Told about each warning (e.g. a torn teacher-cache line that was skipped) besides <c>MLContext.Log</c>;
    /// <c>null</c> for none. Default <c>null</c>.
    /// </summary>
    public Action<string>? OnWarning { get; set; }

    /// <summary>Told after every finished row; <c>null</c> for none. Progress is also logged to <c>MLContext.Log</c>.</summary>
    public IProgress<AnnotationProgress>? Progress { get; set; }

    /// <summary>The cache folder used when <see cref="CacheFolder"/> is <c>null</c>: <c>{local application data}/MLNet.StepDistill/teacher-cache</c>.</summary>
    public static string DefaultCacheFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "MLNet.StepDistill", "teacher-cache");

    /// <summary>Options for a dataset: its schema, its completion markers and its default prompt.</summary>
    public static RationaleAnnotatorOptions ForDataset(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new RationaleAnnotatorOptions { Schema = manifest.Schema, Markers = manifest.Completion, Prompt = RationalePrompt.ForDataset(manifest) };
    }

    /// <summary>Checks the options and names the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        if (Schema is null)
        {
            throw new ArgumentException("RationaleAnnotatorOptions.Schema is required: it says which columns hold the id, inputs and gold label (RationaleAnnotatorOptions.ForDataset sets it).", nameof(Schema));
        }
        if (Samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Samples), Samples, "RationaleAnnotatorOptions.Samples must be at least 1.");
        }
        if (Temperature is { } t && (!float.IsFinite(t) || t < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), t, "RationaleAnnotatorOptions.Temperature must be 0 or more.");
        }
        if (MaxOutputTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxOutputTokens), MaxOutputTokens, "RationaleAnnotatorOptions.MaxOutputTokens must be at least 1.");
        }
        if (BootstrapExemplars < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BootstrapExemplars), BootstrapExemplars, "RationaleAnnotatorOptions.BootstrapExemplars must be 0 or more.");
        }
        if (!Enum.IsDefined(ResponseFormat))
        {
            throw new ArgumentOutOfRangeException(nameof(ResponseFormat), ResponseFormat, "RationaleAnnotatorOptions.ResponseFormat must be Text or Json.");
        }
        if (!Enum.IsDefined(Rationales))
        {
            throw new ArgumentOutOfRangeException(nameof(Rationales), Rationales, "RationaleAnnotatorOptions.Rationales must be TeacherLabel or ExplainGold.");
        }
        if (MaxConcurrency is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "RationaleAnnotatorOptions.MaxConcurrency must be at least 1.");
        }
        Prices?.Validate();
        if (MaxCost is { } max && (!double.IsFinite(max) || max < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCost), max, "RationaleAnnotatorOptions.MaxCost must be 0 or more.");
        }
        if (MaxCost is not null && Prices is null)
        {
            throw new ArgumentException("RationaleAnnotatorOptions.MaxCost needs Prices (what a million prompt and completion tokens cost).", nameof(MaxCost));
        }
        if (CompletionTokensEstimate is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CompletionTokensEstimate), CompletionTokensEstimate, "RationaleAnnotatorOptions.CompletionTokensEstimate must be 0 or more.");
        }
        Batch?.Validate();
        foreach (var (name, value) in new[] { (nameof(RationaleColumnName), RationaleColumnName), (nameof(TeacherLabelColumnName), TeacherLabelColumnName), (nameof(StatusColumnName), StatusColumnName) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"RationaleAnnotatorOptions.{name} must name a column.", name);
            }
        }
    }

    internal TeacherSampling Sampling => new(Temperature ?? (Samples > 1 ? 0.7f : 0f), MaxOutputTokens, Samples);
}
