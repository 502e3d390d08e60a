using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// An exported student inside ML.NET, with the TorchSharp student's output columns: for a closed label set
/// <c>PredictedLabel</c> (a key whose key values are the class names), <c>Score</c> (one probability per class) and
/// <c>PredictedText</c>; for an open target <c>PredictedText</c>; and <c>PredictedRationale</c> when
/// <see cref="WithRationale"/> asked for one. Works with <c>PredictionEngine</c>; save and load with
/// <see cref="StepDistillOnnxCatalog.SaveModel"/> and <see cref="StepDistillOnnxCatalog.LoadModel"/>.
/// </summary>
public sealed class OnnxStudentTransformer : ITransformer, IDisposable
{
    private readonly MLContext mlContext;
    private readonly ITransformer mapping;
    private readonly bool ownsStudent;
    private readonly string? ownedFolder;

    internal OnnxStudentTransformer(MLContext mlContext, OnnxStudent student, bool generateRationale, bool ownsStudent, string? ownedFolder)
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
        mapping = MappingEstimator(mlContext, student.Facts, student, generateRationale).Fit(EmptyInput(mlContext, student.Facts));
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
    public bool IsRowToRowMapper => mapping.IsRowToRowMapper;

    /// <summary>The same student, generating <c>PredictedRationale</c> (or not); it shares this one's sessions and does not own them.</summary>
    /// <exception cref="ArgumentException">The student was trained in Standard mode.</exception>
    public OnnxStudentTransformer WithRationale(bool generate = true) => new(mlContext, Student, generate, ownsStudent: false, ownedFolder: null);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.GetOutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => mapping.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => mapping.Transform(input);

    /// <summary>Releases the ONNX Runtime sessions (not on a transformer made by <see cref="WithRationale"/>).</summary>
    public void Dispose()
    {
        if (!ownsStudent)
        {
            return;
        }

        Student.Dispose();
        if (ownedFolder is not null && Directory.Exists(ownedFolder))
        {
            Directory.Delete(ownedFolder, recursive: true);
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var saved = OnnxStudentLoadScope.SavedStudents ?? throw new InvalidOperationException(OnnxStudentLoadScope.SaveHint);
        saved.Add(this);
        mapping.Save(ctx);
    }

    internal static IDataView EmptyInput(MLContext mlContext, Deployment.OnnxStudentFacts facts) => facts.AnswerKind == "Choices"
        ? mlContext.Data.LoadFromEnumerable(Array.Empty<OnnxStudentChoicesInput>(), InputSchema<OnnxStudentChoicesInput>(facts))
        : mlContext.Data.LoadFromEnumerable(Array.Empty<OnnxStudentTextInput>(), InputSchema<OnnxStudentTextInput>(facts));

    private static IEstimator<ITransformer> MappingEstimator(MLContext mlContext, Deployment.OnnxStudentFacts facts, OnnxStudent student, bool generateRationale)
    {
        var contract = OnnxStudentContracts.For(facts.AnswerKind);
        OnnxStudentAnswer Answer(string input, IReadOnlyList<string>? choices) => student.Predict(input, choices, generateRationale);
        return facts.AnswerKind switch
        {
            "FixedLabels" => mlContext.Transforms.CustomMapping<OnnxStudentTextInput, OnnxStudentClassifiedOutput>(
                (src, dst) => Fill(dst, Answer(src.Input, null)), contract, InputSchema<OnnxStudentTextInput>(facts), ClassifiedSchema(student.ClassNames)),
            "Choices" => mlContext.Transforms.CustomMapping<OnnxStudentChoicesInput, OnnxStudentClassifiedOutput>(
                (src, dst) => Fill(dst, Answer(src.Input, src.Choices)), contract, InputSchema<OnnxStudentChoicesInput>(facts), ClassifiedSchema(student.ClassNames)),
            _ => mlContext.Transforms.CustomMapping<OnnxStudentTextInput, OnnxStudentGeneratedOutput>(
                (src, dst) =>
                {
                    var answer = Answer(src.Input, null);
                    dst.PredictedText = answer.PredictedText;
                    dst.PredictedRationale = answer.Rationale;
                },
                contract,
                InputSchema<OnnxStudentTextInput>(facts),
                SchemaDefinition.Create(typeof(OnnxStudentGeneratedOutput))),
        };
    }

    private static void Fill(OnnxStudentClassifiedOutput dst, OnnxStudentAnswer answer)
    {
        dst.Score = answer.Scores;
        dst.PredictedLabel = OnnxStudentContracts.KeyMember(answer.PredictedIndex);
        dst.PredictedText = answer.PredictedText;
        dst.PredictedRationale = answer.Rationale;
    }

    private static SchemaDefinition ClassifiedSchema(IReadOnlyList<string> names)
    {
        var namesType = new VectorDataViewType(TextDataViewType.Instance, names.Count);
        var definition = SchemaDefinition.Create(typeof(OnnxStudentClassifiedOutput));
        var predictedLabel = definition[nameof(OnnxStudentClassifiedOutput.PredictedLabel)];
        predictedLabel.ColumnType = new KeyDataViewType(typeof(uint), names.Count);
        predictedLabel.AddAnnotation("KeyValues", OnnxStudentContracts.Names(names), namesType);
        var score = definition[nameof(OnnxStudentClassifiedOutput.Score)];
        score.ColumnType = new VectorDataViewType(NumberDataViewType.Single, names.Count);
        score.AddAnnotation("SlotNames", OnnxStudentContracts.Names(names), namesType);
        return definition;
    }

    private static SchemaDefinition InputSchema<TSrc>(Deployment.OnnxStudentFacts facts)
    {
        var input = SchemaDefinition.Create(typeof(TSrc));
        input[nameof(OnnxStudentTextInput.Input)].ColumnName = facts.InputColumn;
        if (typeof(TSrc) == typeof(OnnxStudentChoicesInput))
        {
            input[nameof(OnnxStudentChoicesInput.Choices)].ColumnName = facts.ChoicesColumn!;
        }

        return input;
    }
}
