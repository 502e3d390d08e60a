using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// A trained student inside ML.NET. For a closed label set it adds <c>PredictedLabel</c> (a key whose key values are the
/// class names, the same as a key-typed training label's), <c>Score</c> (one probability per class: the softmax of the
/// student's log-likelihood of each class's text) and <c>PredictedText</c>; for an open target it adds
/// <c>PredictedText</c> by generation. <c>PredictedRationale</c> holds a generated explanation when
/// <see cref="WithRationale"/> asked for one (empty otherwise). The column names are the trainer's options.
/// </summary>
/// <remarks>
/// Multiple-choice students (trained with a choices column) score the row's own choices: the classes are the choice
/// positions a, b, c, ...; <c>PredictedText</c> is the chosen choice's text. Map the gold answer to its position with
/// <see cref="StepDistillCatalog.MapChoiceLabelToKey"/> to evaluate.
/// <para>
/// Cursors answer <c>MultiTaskSeq2SeqTrainerOptions.PredictionBatchSize</c> rows together; <c>PredictionEngine</c> answers one row at a time.
/// Save and load with <see cref="StepDistillCatalog.SaveModel"/> and <see cref="StepDistillCatalog.LoadModel"/>: the
/// weights travel as extra entries of the ML.NET zip. This transformer owns the weights: <see cref="Dispose"/> frees them,
/// and any use afterwards throws <see cref="ObjectDisposedException"/>.
/// </para>
/// </remarks>
public sealed class Seq2SeqStudentTransformer : IStudentTransformer, IDisposable
{
    internal const string Kind = "student";

    private const string HeadEntry = "head.json";
    private const string ModelFolder = "model/";

    private readonly MLContext mlContext;
    private readonly StudentWeights weights;
    private readonly RowMapping<StudentQuestion, StudentAnswer> mapping;

    internal Seq2SeqStudentTransformer(MLContext mlContext, StudentPredictor predictor, bool generateRationale)
        : this(mlContext, new StudentWeights(predictor), generateRationale, owner: null)
    {
    }

    private Seq2SeqStudentTransformer(MLContext mlContext, StudentWeights weights, bool generateRationale, Seq2SeqStudentTransformer? owner)
    {
        this.mlContext = mlContext;
        this.weights = weights;
        Owner = owner;
        GeneratesRationale = generateRationale;
        if (generateRationale && !weights.Predictor.Spec.CanExplain)
        {
            throw new ArgumentException("A student trained in Standard mode never learned rationales; train StepByStep or SingleTask to generate them.");
        }

        mapping = CreateMapping();
    }

    internal StudentPredictor Predictor => weights.Usable();

    /// <summary>How the student answers (saved as <c>head.json</c>).</summary>
    internal StudentAnswerSpec Spec => weights.Predictor.Spec;

    /// <summary>What the student outputs: the label alone, the label and rationale tasks, or one joined output.</summary>
    public TrainingMode Mode => Spec.Mode;

    /// <summary>How the student was trained; null for a model saved before the method was recorded (its <see cref="Mode"/> still holds).</summary>
    public TrainingMethod? Method => TrainingMethods.TryParse(Spec.Method, out var method) ? method : null;

    /// <summary>The classes of <c>Score</c> and the key values of <c>PredictedLabel</c>: the labels, or the choice letters; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => Spec.ClassNames;

    /// <summary>Whether the target is open text (no <c>Score</c> or <c>PredictedLabel</c>, only <c>PredictedText</c>).</summary>
    public bool IsOpenTarget => Spec.IsOpenTarget;

    /// <summary>Whether the student answers multiple-choice rows: its classes are the positions of each row's own choices.</summary>
    public bool IsMultipleChoice => Spec.IsMultipleChoice;

    /// <summary>Whether <c>PredictedRationale</c> is generated.</summary>
    public bool GeneratesRationale { get; }

    /// <summary>The transformer whose weights this one uses (for one made by <see cref="WithRationale"/>), or null when it owns them.</summary>
    public Seq2SeqStudentTransformer? Owner { get; }

    /// <summary>Whether the weights were freed (by disposing the owner).</summary>
    public bool IsDisposed => weights.Disposed;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    string IArchivedComponent.ArchiveKind => Kind;

    bool IStudentTransformer.CanExplain => Spec.CanExplain;

    string IStudentTransformer.InputColumnName => Spec.InputColumnName;

    string? IStudentTransformer.ChoicesColumnName => IsMultipleChoice ? Spec.ChoicesColumnName : null;

    int IStudentTransformer.PredictionBatchSize => Spec.PredictionBatchSize;

    /// <summary>The same student, generating <c>PredictedRationale</c> (or not).</summary>
    /// <remarks>
    /// The returned transformer is a view: it uses this transformer's weights and does not own them (its
    /// <see cref="Owner"/> is this one, or this one's owner). Disposing it does nothing; once the owner is disposed, it
    /// throws <see cref="ObjectDisposedException"/> like the owner.
    /// </remarks>
    /// <exception cref="ArgumentException">The student was trained in Standard mode and has no rationales to give.</exception>
    public Seq2SeqStudentTransformer WithRationale(bool generate = true)
    {
        weights.Usable();
        return new(mlContext, weights, generate, Owner ?? this);
    }

    IStudentTransformer IStudentTransformer.WithRationale(bool generate) => WithRationale(generate);

    /// <summary>Writes the student as a Hugging Face folder (config.json, model.safetensors, spiece.model), loadable by <c>T5ForConditionalGeneration.FromPretrained</c> and by transformers.</summary>
    public void SavePretrained(string folder) => Predictor.Student.SavePretrained(folder);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.OutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        weights.Usable();
        return mapping.GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        weights.Usable();
        return mapping.Transform(input);
    }

    /// <summary>Frees the student's weights; does nothing on a view made by <see cref="WithRationale"/>.</summary>
    public void Dispose()
    {
        if (Owner is null)
        {
            weights.Dispose();
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        weights.Usable();
        ArchiveScope.SavePlaceholder(mlContext, this, ctx);
    }

    void IArchivedComponent.WriteArchive(ArchiveFolder folder)
    {
        folder.Write(HeadEntry, stream => JsonSerializer.Serialize(stream, Spec with { GenerateRationale = GeneratesRationale }));
        var temp = Directory.CreateTempSubdirectory("stepdistill-save-");
        try
        {
            SavePretrained(temp.FullName);
            foreach (var file in Directory.GetFiles(temp.FullName))
            {
                folder.Write(ModelFolder + Path.GetFileName(file), stream =>
                {
                    using var source = File.OpenRead(file);
                    source.CopyTo(stream);
                });
            }
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Reads a student back from its folder of a model zip, onto <paramref name="device"/>.</summary>
    /// <exception cref="ModelFormatException">The head or the weights are not valid (the message names the zip and the entry).</exception>
    internal static Seq2SeqStudentTransformer Load(ArchiveFolder folder, MLContext mlContext, string device)
    {
        var spec = StudentHeadFile.Read(folder, HeadEntry);
        var temp = Directory.CreateTempSubdirectory(StaleTempFiles.LoadFolderPrefix);
        try
        {
            foreach (var name in folder.List(ModelFolder))
            {
                using var source = folder.Open(name);
                using var target = File.Create(Path.Combine(temp.FullName, Path.GetFileName(name)));
                source.CopyTo(target);
            }

            T5Student student;
            try
            {
                student = T5Student.Load(temp.FullName, spec, device);
            }
            catch (Exception ex) when (ex is ModelFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
            {
                throw StudentHeadFile.InEntry(folder, folder.EntryName(ModelFolder), temp.FullName, ex);
            }

            return new Seq2SeqStudentTransformer(mlContext, new StudentPredictor(student, spec), spec.GenerateRationale);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>The output schema shape a student with <paramref name="spec"/> gives, without weights (for the trainer's <c>GetOutputSchema</c>).</summary>
    internal static SchemaShape DescribeOutput(MLContext mlContext, StudentAnswerSpec spec, SchemaShape inputSchema) =>
        StudentOutputShape.Describe(mlContext, spec, inputSchema);

    private RowMapping<StudentQuestion, StudentAnswer> CreateMapping()
    {
        var spec = Spec;
        var outputs = new List<OutputColumn<StudentAnswer>>();
        if (!spec.IsOpenTarget)
        {
            outputs.Add(OutputColumns.Key<StudentAnswer>(spec.PredictedLabelColumnName, spec.ClassNames, a => a.PredictedIndex));
            outputs.Add(OutputColumns.Scores<StudentAnswer>(spec.ScoreColumnName, spec.ClassNames, a => a.Scores));
        }

        outputs.Add(OutputColumns.Text<StudentAnswer>(spec.PredictedTextColumnName, a => a.PredictedText));
        outputs.Add(OutputColumns.Text<StudentAnswer>(spec.PredictedRationaleColumnName, a => a.Rationale));
        return new RowMapping<StudentQuestion, StudentAnswer>
        {
            Bind = schema => StudentQuestion.Bind(schema, spec.InputColumnName, spec.IsMultipleChoice ? spec.ChoicesColumnName : null),
            Outputs = outputs,
            Map = rows => Predictor.Answer(
                rows.Select(r => r.Input).ToArray(),
                spec.IsMultipleChoice ? rows.Select(r => r.Choices).ToArray() : null,
                GeneratesRationale),
            BatchSize = spec.PredictionBatchSize,
            EnsureUsable = () => weights.Usable(),
        };
    }

    /// <summary>The weights, shared by a transformer and its <see cref="WithRationale"/> views, freed once.</summary>
    private sealed class StudentWeights(StudentPredictor predictor) : IDisposable
    {
        public StudentPredictor Predictor { get; } = predictor;

        public bool Disposed { get; private set; }

        public StudentPredictor Usable() =>
            Disposed ? throw new ObjectDisposedException(nameof(Seq2SeqStudentTransformer), "This student was disposed: its weights are freed. Load or train it again.") : Predictor;

        public void Dispose()
        {
            if (!Disposed)
            {
                Disposed = true;
                Predictor.Student.Dispose();
            }
        }
    }
}
