using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A dataset on disk: its <see cref="DatasetManifest"/> and the split files it names. The entry point for loading task
/// rows, as an ML.NET <see cref="IDataView"/> (<see cref="LoadSplit"/>) or as plain <see cref="TaskExample"/> rows
/// (<see cref="ReadExamples"/>). Gold labels are checked as rows are read and come back in the label set's own spelling
/// (<see cref="TaskReadOptions"/>).
/// </summary>
/// <example><code>
/// var cqa = TaskDataset.Open("datasets/cqa");
/// IDataView test = cqa.LoadSplit(new MLContext(), "test");   // columns id, question, answer, choices
/// IReadOnlyList&lt;TaskExample&gt; rows = cqa.ReadExamples("test");
/// </code></example>
public sealed class TaskDataset
{
    private TaskDataset(DatasetManifest manifest, TaskReadOptions? readOptions)
    {
        Manifest = manifest;
        // A copy: changing the caller's options afterwards does not change how an open dataset reads.
        ReadOptions = new TaskReadOptions { DropUnknownLabels = readOptions?.DropUnknownLabels ?? false };
    }

    /// <summary>The dataset's manifest.</summary>
    public DatasetManifest Manifest { get; }

    /// <summary>The dataset's schema, for short: <c>Manifest.Schema</c>.</summary>
    public TaskSchema Schema => Manifest.Schema;

    /// <summary>How <see cref="ReadExamples"/> and <see cref="LoadSplit"/> read the splits (e.g. whether rows with a gold label outside the label set are dropped).</summary>
    public TaskReadOptions ReadOptions { get; }

    /// <summary>Opens a dataset from its folder (holding <c>dataset.json</c>) or from the manifest file itself.</summary>
    /// <param name="folderOrManifest">The dataset folder or its <c>dataset.json</c>.</param>
    /// <param name="readOptions">How its splits are read (copied); null for the defaults (a gold label outside the label set is an error).</param>
    /// <exception cref="DatasetFormatException">The manifest is missing or invalid.</exception>
    public static TaskDataset Open(string folderOrManifest, TaskReadOptions? readOptions = null) => new(DatasetManifest.Load(folderOrManifest), readOptions);

    /// <summary>Wraps a manifest built in code.</summary>
    /// <param name="manifest">The manifest.</param>
    /// <param name="readOptions">How its splits are read (copied); null for the defaults.</param>
    public static TaskDataset FromManifest(DatasetManifest manifest, TaskReadOptions? readOptions = null) =>
        new(manifest ?? throw new ArgumentNullException(nameof(manifest)), readOptions);

    /// <summary>
    /// Reads a split's rows (JSONL or CSV, by the file's extension) as plain values, in file order, with
    /// <see cref="ReadOptions"/>; <see cref="TaskRows.DroppedRows"/> lists the rows skipped for a gold label outside the label set.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such split.</exception>
    /// <exception cref="DatasetFormatException">The file is malformed, or a gold label is outside the label set (the message names file, line and field).</exception>
    public TaskRows ReadExamples(string split) => ReadFile(Manifest.SplitPath(split), Schema, ReadOptions);

    /// <summary>
    /// Loads a split as an <see cref="IDataView"/> with text columns named as the schema's fields (choices: a text vector
    /// column): <see cref="ToDataView"/> of <see cref="ReadExamples"/>, so gold labels are in the label set's spelling.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No such split.</exception>
    /// <exception cref="DatasetFormatException">The file is malformed, or a gold label is outside the label set.</exception>
    public IDataView LoadSplit(MLContext mlContext, string split)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return ToDataView(ReadExamples(split), Schema);
    }

    /// <summary>Reads a JSONL (<c>.jsonl</c>) or CSV (<c>.csv</c>) file of task rows through a schema.</summary>
    /// <param name="path">The file.</param>
    /// <param name="schema">Which field plays which role.</param>
    /// <param name="options">What to do with a gold label outside the label set; default: it is an error.</param>
    /// <exception cref="DatasetFormatException">The file is missing, has another extension, or is malformed, or a gold label is outside the label set.</exception>
    public static TaskRows ReadFile(string path, TaskSchema schema, TaskReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" => JsonlTaskReader.Read(path, schema, options),
            ".csv" => CsvTaskReader.Read(path, schema, options),
            _ => throw new DatasetFormatException(path, null, null, "unknown file type; use .jsonl (one JSON object a line) or .csv (RFC 4180 with a header row)"),
        };
    }

    /// <summary>Reads task rows from a <see cref="DataFrame"/> whose columns are named as the schema's fields.</summary>
    /// <param name="frame">The rows.</param>
    /// <param name="schema">Which column plays which role.</param>
    /// <param name="options">What to do with a gold label outside the label set; default: it is an error.</param>
    /// <exception cref="DatasetFormatException">A column is missing or has the wrong type, a cell is null, or a gold label is outside the label set (the message names row and column).</exception>
    public static TaskRows ReadDataFrame(DataFrame frame, TaskSchema schema, TaskReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(schema);
        return DataFrameTaskReader.Read(frame, schema, options);
    }

    /// <summary>
    /// An <see cref="IDataView"/> over task rows: id, input fields, target and own rationale (<see cref="TaskSchema.RationaleField"/>) as text columns named as in the schema,
    /// choices as a variable-length text vector column <see cref="TaskSchema.ChoicesColumn"/>. Cursors can be opened any
    /// number of times and give the same rows.
    /// </summary>
    public static IDataView ToDataView(IReadOnlyList<TaskExample> rows, TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(schema);
        var expected = schema.InputFields.Count;
        var bad = rows.FirstOrDefault(r => r.Inputs.Count != expected);
        if (bad is not null)
        {
            throw new ArgumentException($"row \"{bad.Id}\" has {bad.Inputs.Count} inputs; the schema has {expected} input fields", nameof(rows));
        }

        return new TaskExampleDataView(rows, schema);
    }
}
