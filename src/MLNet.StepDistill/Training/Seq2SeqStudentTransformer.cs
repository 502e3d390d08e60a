using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Training;

/// <summary>
/// A trained student inside ML.NET. For a closed label set it adds <c>PredictedLabel</c> (a key whose key values are the
/// class names), <c>Score</c> (one probability per class: the softmax of the student's log-likelihood of each class's
/// text) and <c>PredictedText</c>; for an open target it adds <c>PredictedText</c> by generation. <c>PredictedRationale</c>
/// holds a generated explanation when <see cref="WithRationale"/> asked for one (empty otherwise).
/// </summary>
/// <remarks>
/// Multiple-choice students (trained with a choices column) score the row's own choices: the classes are the choice
/// positions a, b, c, ...; <c>PredictedText</c> is the chosen choice's text. Map the gold answer to its position with
/// <see cref="StepDistillCatalog.MapChoiceLabelToKey"/> to evaluate.
/// Save and load with <see cref="StepDistillCatalog.SaveModel"/> and <see cref="StepDistillCatalog.LoadModel"/>: the
/// weights travel as extra entries of the ML.NET zip.
/// </remarks>
public sealed class Seq2SeqStudentTransformer : ITransformer, IDisposable
{
    private readonly MLContext mlContext;
    private readonly ITransformer mapping;

    private readonly bool ownsStudent;

    internal Seq2SeqStudentTransformer(MLContext mlContext, StudentPredictor predictor, bool generateRationale)
        : this(mlContext, predictor, generateRationale, ownsStudent: true)
    {
    }

    private Seq2SeqStudentTransformer(MLContext mlContext, StudentPredictor predictor, bool generateRationale, bool ownsStudent)
    {
        this.mlContext = mlContext;
        this.ownsStudent = ownsStudent;
        Predictor = predictor;
        GeneratesRationale = generateRationale;
        if (generateRationale && predictor.Head.Mode == TrainingMode.Standard)
        {
            throw new ArgumentException("A student trained in Standard mode never learned rationales; train StepByStep or SingleTask to generate them.");
        }

        mapping = CreateMapping();
    }

    internal StudentPredictor Predictor { get; }

    internal StudentHead Head => Predictor.Head;

    /// <summary>How the student was trained.</summary>
    public TrainingMode Mode => Head.Mode;

    /// <summary>The classes of <c>Score</c> and the key values of <c>PredictedLabel</c>: the labels, or the choice letters; empty for an open target.</summary>
    public IReadOnlyList<string> ClassNames => Head.ClassNames;

    /// <summary>Whether the target is open text (no <c>Score</c> or <c>PredictedLabel</c>, only <c>PredictedText</c>).</summary>
    public bool IsOpenTarget => Head.Kind == AnswerKind.OpenText;

    /// <summary>Whether the student answers multiple-choice rows: its classes are the positions of each row's own choices.</summary>
    public bool IsMultipleChoice => Head.Kind == AnswerKind.Choices;

    /// <summary>Whether <c>PredictedRationale</c> is generated.</summary>
    public bool GeneratesRationale { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => mapping.IsRowToRowMapper;

    /// <summary>The same student, generating <c>PredictedRationale</c> (or not).</summary>
    /// <remarks>
    /// The returned transformer shares this one's weights and does not own them: disposing it does nothing, and it stops
    /// working once this (the original) transformer is disposed. Keep the original alive while using it, and dispose only
    /// the original.
    /// </remarks>
    /// <exception cref="ArgumentException">The student was trained in Standard mode and has no rationales to give.</exception>
    public Seq2SeqStudentTransformer WithRationale(bool generate = true) => new(mlContext, Predictor, generate, ownsStudent: false);

    /// <summary>Writes the student as a Hugging Face folder (config.json, model.safetensors, spiece.model), loadable by <c>T5ForConditionalGeneration.FromPretrained</c> and by transformers.</summary>
    public void SavePretrained(string folder) => Predictor.Student.SavePretrained(folder);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => mapping.GetOutputSchema(inputSchema);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => mapping.GetRowToRowMapper(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => mapping.Transform(input);

    /// <summary>Releases the student's weights; does nothing on a transformer made by <see cref="WithRationale"/>, which shares them.</summary>
    public void Dispose()
    {
        if (ownsStudent)
        {
            Predictor.Student.Dispose();
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        var saved = StudentLoadScope.SavedStudents ?? throw new InvalidOperationException(StudentLoadScope.SaveHint);
        saved.Add(this);
        mapping.Save(ctx);
    }

    private ITransformer CreateMapping()
    {
        var estimator = MappingEstimator(mlContext, Head, Predictor, GeneratesRationale);
        var empty = Head.Kind == AnswerKind.Choices
            ? mlContext.Data.LoadFromEnumerable(Array.Empty<StudentChoicesInput>(), InputSchema<StudentChoicesInput>(Head))
            : mlContext.Data.LoadFromEnumerable(Array.Empty<StudentTextInput>(), InputSchema<StudentTextInput>(Head));
        return estimator.Fit(empty);
    }

    /// <summary>
    /// The ML.NET custom mapping that answers rows with <paramref name="predictor"/> (or, without one, only describes the
    /// output schema), saved under the contract name of the head's answer kind.
    /// </summary>
    internal static IEstimator<ITransformer> MappingEstimator(MLContext mlContext, StudentHead head, StudentPredictor? predictor, bool generateRationale)
    {
        var contract = StudentContracts.For(head.Kind);
        StudentAnswer Answer(string input, IReadOnlyList<string>? choices) =>
            (predictor ?? throw new InvalidOperationException("This mapping only describes a schema."))
            .Answer([input], choices is null ? null : [choices], generateRationale)[0];

        return head.Kind switch
        {
            AnswerKind.FixedLabels => mlContext.Transforms.CustomMapping<StudentTextInput, StudentClassifiedOutput>(
                (src, dst) => Fill(dst, Answer(src.Input, null)), contract, InputSchema<StudentTextInput>(head), ClassifiedSchema(head)),
            AnswerKind.Choices => mlContext.Transforms.CustomMapping<StudentChoicesInput, StudentClassifiedOutput>(
                (src, dst) => Fill(dst, Answer(src.Input, src.Choices)), contract, InputSchema<StudentChoicesInput>(head), ClassifiedSchema(head)),
            _ => mlContext.Transforms.CustomMapping<StudentTextInput, StudentGeneratedOutput>(
                (src, dst) =>
                {
                    var answer = Answer(src.Input, null);
                    dst.PredictedText = answer.PredictedText;
                    dst.PredictedRationale = answer.Rationale;
                },
                contract,
                InputSchema<StudentTextInput>(head),
                SchemaDefinition.Create(typeof(StudentGeneratedOutput))),
        };
    }

    private static void Fill(StudentClassifiedOutput dst, StudentAnswer answer)
    {
        dst.Score = answer.Scores;
        dst.PredictedLabel = StudentContracts.KeyMember(answer.PredictedIndex);
        dst.PredictedText = answer.PredictedText;
        dst.PredictedRationale = answer.Rationale;
    }

    private static SchemaDefinition ClassifiedSchema(StudentHead head)
    {
        var names = head.ClassNames;
        var namesType = new VectorDataViewType(TextDataViewType.Instance, names.Length);
        var definition = SchemaDefinition.Create(typeof(StudentClassifiedOutput));
        var predictedLabel = definition[nameof(StudentClassifiedOutput.PredictedLabel)];
        predictedLabel.ColumnType = new KeyDataViewType(typeof(uint), names.Length);
        predictedLabel.AddAnnotation("KeyValues", StudentContracts.Names(names), namesType);
        var score = definition[nameof(StudentClassifiedOutput.Score)];
        score.ColumnType = new VectorDataViewType(NumberDataViewType.Single, names.Length);
        score.AddAnnotation("SlotNames", StudentContracts.Names(names), namesType);
        return definition;
    }

    private static SchemaDefinition InputSchema<TSrc>(StudentHead head)
    {
        var input = SchemaDefinition.Create(typeof(TSrc));
        var text = input[nameof(StudentTextInput.Input)];
        var choices = typeof(TSrc) == typeof(StudentChoicesInput) ? input[nameof(StudentChoicesInput.Choices)] : null;
        text.ColumnName = head.InputColumnName;
        if (choices is not null)
        {
            choices.ColumnName = head.ChoicesColumnName!;
        }

        return input;
    }
}
