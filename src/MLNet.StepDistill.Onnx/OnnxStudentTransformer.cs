using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// An exported student inside ML.NET, with the TorchSharp student's output columns (named as its spec says): for a closed label set
/// <c>PredictedLabel</c> (a key whose key values are the class names), <c>Score</c> (one probability per class) and
/// <c>PredictedText</c>; for an open target <c>PredictedText</c>; and <c>PredictedRationale</c> when
/// <see cref="WithRationale"/> asked for one. Cursors answer <see cref="BatchSize"/> rows together; works with
/// <c>PredictionEngine</c>; save and load with <see cref="StepDistillOnnxCatalog.SaveModel"/> and
/// <see cref="StepDistillOnnxCatalog.LoadModel"/> (the same model-zip mechanism as the TorchSharp student, so a saved
/// pipeline may put <c>FormatStudentInput</c> in front and take raw rows).
/// </summary>
public sealed class OnnxStudentTransformer : IStudentTransformer, IDisposable
{
    internal const string Kind = "onnx-student";

    /// <summary>Rows a cursor answers together.</summary>
    public const int BatchSize = 16;

    private const string SettingsEntry = "transformer.json";
    private const string ModelFolder = "model/";

    private readonly MLContext mlContext;
    private readonly RowMapping<StudentQuestion, StudentAnswer> mapping;
    private readonly bool ownsStudent;
    private readonly string? ownedFolder;
    private readonly OnnxStudentTransformer? owner;
    private bool disposed;

    internal OnnxStudentTransformer(MLContext mlContext, OnnxStudent student, bool generateRationale, bool ownsStudent, string? ownedFolder, OnnxStudentTransformer? owner = null)
    {
        if (generateRationale && !student.CanExplain)
        {
            throw new ArgumentException("A student trained in Standard mode never learned rationales; train StepByStep or SingleTask to generate them.", nameof(generateRationale));
        }

        this.mlContext = mlContext;
        Student = student;
        GeneratesRationale = generateRationale;
        this.ownsStudent = ownsStudent;
        this.ownedFolder = ownedFolder;
        this.owner = owner;
        mapping = CreateMapping();
    }

    /// <summary>The exported student this transformer answers with.</summary>
    public OnnxStudent Student { get; }

    /// <summary>The classes of <c>Score</c> and the key values of <c>PredictedLabel</c>; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => Student.ClassNames;

    /// <summary>Whether the target is open text.</summary>
    public bool IsOpenTarget => Student.IsOpenTarget;

    /// <summary>Whether the student answers multiple-choice rows.</summary>
    public bool IsMultipleChoice => Student.IsMultipleChoice;

    /// <summary>Whether <c>PredictedRationale</c> is generated.</summary>
    public bool GeneratesRationale { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    string IArchivedComponent.ArchiveKind => Kind;

    bool IStudentTransformer.CanExplain => Student.CanExplain;

    string IStudentTransformer.InputColumnName => Student.Spec.InputColumnName;

    string? IStudentTransformer.ChoicesColumnName => IsMultipleChoice ? Student.Spec.ChoicesColumnName : null;

    int IStudentTransformer.PredictionBatchSize => BatchSize;

    private bool IsDisposed => disposed || owner?.IsDisposed == true;

    /// <summary>The same student, generating <c>PredictedRationale</c> (or not); it shares this one's sessions and does not own them.</summary>
    /// <exception cref="ArgumentException">The student was trained in Standard mode.</exception>
    public OnnxStudentTransformer WithRationale(bool generate = true)
    {
        EnsureUsable();
        return new(mlContext, Student, generate, ownsStudent: false, ownedFolder: null, owner ?? this);
    }

    IStudentTransformer IStudentTransformer.WithRationale(bool generate) => WithRationale(generate);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.OutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        EnsureUsable();
        return mapping.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        EnsureUsable();
        return mapping.Transform(input);
    }

    /// <summary>Releases the ONNX Runtime sessions (not on a transformer made by <see cref="WithRationale"/>).</summary>
    public void Dispose()
    {
        if (!ownsStudent || disposed)
        {
            return;
        }

        disposed = true;
        Student.Dispose();
        if (ownedFolder is not null && Directory.Exists(ownedFolder))
        {
            Directory.Delete(ownedFolder, recursive: true);
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        EnsureUsable();
        ArchiveScope.SavePlaceholder(mlContext, this, ctx);
    }

    void IArchivedComponent.WriteArchive(ArchiveFolder folder)
    {
        foreach (var file in Directory.GetFiles(Student.Model.Folder))
        {
            folder.Write(ModelFolder + Path.GetFileName(file), stream =>
            {
                using var source = File.OpenRead(file);
                source.CopyTo(stream);
            });
        }

        folder.Write(SettingsEntry, stream => JsonSerializer.Serialize(stream, new Settings { GenerateRationale = GeneratesRationale }));
    }

    /// <summary>Reads an exported student back from its folder of a model zip (extracted to a folder the transformer owns).</summary>
    internal static OnnxStudentTransformer Load(ArchiveFolder archive, MLContext mlContext, OnnxRuntimeOptions? options)
    {
        Settings settings;
        try
        {
            using var stream = archive.Open(SettingsEntry);
            settings = JsonSerializer.Deserialize<Settings>(stream, new JsonSerializerOptions { AllowDuplicateProperties = false })
                ?? throw new JsonException("the entry is empty (null)");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new ModelFormatException(archive.ArchivePath, $"entry {archive.EntryName(SettingsEntry)}: {ex.Message.Split(" Path:", 2)[0]}", ex);
        }

        var folder = Directory.CreateTempSubdirectory(StaleTempFiles.LoadFolderPrefix).FullName;
        try
        {
            foreach (var name in archive.List(ModelFolder))
            {
                using var source = archive.Open(name);
                using var target = File.Create(Path.Combine(folder, Path.GetFileName(name)));
                source.CopyTo(target);
            }

            var student = OnnxStudent.Load(folder, options);
            try
            {
                return new OnnxStudentTransformer(mlContext, student, settings.GenerateRationale, ownsStudent: true, ownedFolder: folder);
            }
            catch
            {
                student.Dispose();
                throw;
            }
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    private void EnsureUsable()
    {
        if (IsDisposed)
        {
            throw new ObjectDisposedException(nameof(OnnxStudentTransformer), "This ONNX student was disposed: its sessions are released. Load it again.");
        }
    }

    private RowMapping<StudentQuestion, StudentAnswer> CreateMapping()
    {
        var spec = Student.Spec;
        var outputs = new List<OutputColumn<StudentAnswer>>();
        if (!IsOpenTarget)
        {
            outputs.Add(OutputColumns.Key<StudentAnswer>(spec.PredictedLabelColumnName, ClassNames, a => a.PredictedIndex));
            outputs.Add(OutputColumns.Scores<StudentAnswer>(spec.ScoreColumnName, ClassNames, a => a.Scores));
        }

        outputs.Add(OutputColumns.Text<StudentAnswer>(spec.PredictedTextColumnName, a => a.PredictedText));
        outputs.Add(OutputColumns.Text<StudentAnswer>(spec.PredictedRationaleColumnName, a => a.Rationale));
        return new RowMapping<StudentQuestion, StudentAnswer>
        {
            Bind = schema => StudentQuestion.Bind(schema, spec.InputColumnName, IsMultipleChoice ? spec.ChoicesColumnName : null),
            Outputs = outputs,
            Map = rows => Student.Answer(rows.Select(r => r.Input).ToArray(), IsMultipleChoice ? rows.Select(r => r.Choices).ToArray() : null, GeneratesRationale),
            BatchSize = BatchSize,
            EnsureUsable = EnsureUsable,
        };
    }

    private sealed class Settings
    {
        [JsonPropertyName("generate_rationale")] public bool GenerateRationale { get; set; }
    }
}
