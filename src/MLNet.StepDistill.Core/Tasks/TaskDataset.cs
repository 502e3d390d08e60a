using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A dataset on disk: its <see cref="DatasetManifest"/> and the split files it names. The entry point for loading task
/// rows, as an ML.NET <see cref="IDataView"/> (<see cref="LoadSplit"/>) or as plain <see cref="TaskExample"/> rows
/// (<see cref="ReadExamples"/>).
/// </summary>
/// <example><code>
/// var cqa = TaskDataset.Open("datasets/cqa");
/// IDataView test = cqa.LoadSplit(new MLContext(), "test");   // columns id, question, answer, choices
/// IReadOnlyList&lt;TaskExample&gt; rows = cqa.ReadExamples("test");
/// </code></example>
public sealed class TaskDataset
{
    private TaskDataset(DatasetManifest manifest) => Manifest = manifest;

    /// <summary>The dataset's manifest.</summary>
    public DatasetManifest Manifest { get; }

    /// <summary>The dataset's schema, for short: <c>Manifest.Schema</c>.</summary>
    public TaskSchema Schema => Manifest.Schema;

    /// <summary>Opens a dataset from its folder (holding <c>dataset.json</c>) or from the manifest file itself.</summary>
    /// <exception cref="DatasetFormatException">The manifest is missing or invalid.</exception>
    public static TaskDataset Open(string folderOrManifest) => new(DatasetManifest.Load(folderOrManifest));

    /// <summary>Wraps a manifest built in code.</summary>
    public static TaskDataset FromManifest(DatasetManifest manifest) => new(manifest ?? throw new ArgumentNullException(nameof(manifest)));

    /// <summary>Reads a split's rows (JSONL or CSV, by the file's extension) as plain values, in file order.</summary>
    /// <exception cref="KeyNotFoundException">No such split.</exception>
    /// <exception cref="DatasetFormatException">The file is malformed (the message names file, line and field).</exception>
    public IReadOnlyList<TaskExample> ReadExamples(string split) => ReadFile(Manifest.SplitPath(split), Schema);

    /// <summary>Loads a split as an <see cref="IDataView"/> with text columns named as the schema's fields (choices: a text vector column).</summary>
    /// <exception cref="KeyNotFoundException">No such split.</exception>
    /// <exception cref="DatasetFormatException">The file is malformed.</exception>
    public IDataView LoadSplit(MLContext mlContext, string split)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return ToDataView(ReadExamples(split), Schema);
    }

    /// <summary>Reads a JSONL (<c>.jsonl</c>) or CSV (<c>.csv</c>) file of task rows through a schema.</summary>
    /// <exception cref="DatasetFormatException">The file is missing, has another extension, or is malformed.</exception>
    public static IReadOnlyList<TaskExample> ReadFile(string path, TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" => JsonlTaskReader.Read(path, schema),
            ".csv" => CsvTaskReader.Read(path, schema),
            _ => throw new DatasetFormatException(path, null, null, "unknown file type; use .jsonl (one JSON object a line) or .csv (RFC 4180 with a header row)"),
        };
    }

    /// <summary>Reads task rows from a <see cref="DataFrame"/> whose columns are named as the schema's fields.</summary>
    /// <exception cref="DatasetFormatException">A column is missing or has the wrong type, or a cell is null (the message names row and column).</exception>
    public static IReadOnlyList<TaskExample> ReadDataFrame(DataFrame frame, TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(schema);
        return DataFrameTaskReader.Read(frame, schema);
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
