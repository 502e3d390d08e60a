using Microsoft.ML;
using MLNet.StepDistill.Evaluation;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill;

/// <summary>
/// MLNet.StepDistill's entry point on an <see cref="MLContext"/>: <c>mlContext.StepDistill()</c>. Holds the input
/// formatting transform, the student trainer, the rationale annotator (StepDistillCatalog.Annotation.cs), the label-to-key
/// helpers evaluation needs, the generated-text evaluator, and save/load of models with students.
/// </summary>
public sealed partial class StepDistillCatalog
{
    internal StepDistillCatalog(MLContext mlContext)
    {
        MLContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        Trainers = new StepDistillTrainers(mlContext);
        Transforms = new StepDistillTransforms(mlContext);
    }

    /// <summary>The context this catalog works in.</summary>
    public MLContext MLContext { get; }

    /// <summary>The trainers: <see cref="StepDistillTrainers.MultiTaskSeq2Seq(MultiTaskSeq2SeqTrainerOptions)"/>.</summary>
    public StepDistillTrainers Trainers { get; }

    /// <summary>The transforms: <see cref="StepDistillTransforms.FormatStudentInput"/>.</summary>
    public StepDistillTransforms Transforms { get; }

    /// <summary>
    /// Maps a text label column to a key whose key values are <paramref name="labels"/> in that order: the same keys as a
    /// student's <c>PredictedLabel</c> trained with <c>MultiTaskSeq2SeqTrainerOptions.Labels = labels</c>, so
    /// <c>mlContext.MulticlassClassification.Evaluate</c> can compare them. Labels outside the set become missing keys.
    /// </summary>
    public IEstimator<ITransformer> MapLabelToKey(IReadOnlyList<string> labels, string outputColumnName = "Label", string? inputColumnName = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var keyData = MLContext.Data.LoadFromEnumerable(labels.Select(l => new LabelRow { Label = l }));
        return MLContext.Transforms.Conversion.MapValueToKey(outputColumnName, inputColumnName ?? outputColumnName, keyData: keyData);
    }

    /// <summary>
    /// The student's columns from a task's rows, materialised (the pipeline route is <see cref="StepDistillTransforms.FormatStudentInput"/>, which is saved with the model): <c>Input</c> (the paper's input text for the task
    /// family), <c>Label</c> (gold), <c>Choices</c>, and the annotator's <c>Rationale</c>, <c>TeacherLabel</c>,
    /// <c>AnnotationStatus</c> when present — the trainer's default column names. This is the step between
    /// <see cref="AnnotateRationales"/> and <see cref="StepDistillTrainers.MultiTaskSeq2Seq(MultiTaskSeq2SeqTrainerOptions)"/>.
    /// </summary>
    /// <param name="data">Rows as <c>TaskDataset.LoadSplit</c> or the rationale annotator give them.</param>
    /// <param name="schema">The task's columns (<c>TaskDataset.Schema</c>).</param>
    /// <param name="endOfSequence">The student tokenizer's end-of-sequence text (NLI joins premise and hypothesis with it).</param>
    public IDataView ToStudentInputs(IDataView data, Tasks.TaskSchema schema, string endOfSequence = "</s>") =>
        StudentInputs.Create(MLContext, data, schema, endOfSequence);

    /// <summary>
    /// Multiple-choice: maps each row's answer text to its position among the row's choices, as a key with key values
    /// a, b, c, ... (the classes of a multiple-choice student's <c>Score</c> and <c>PredictedLabel</c>). An answer that is
    /// not among the choices gives a missing key (0). The first matching choice wins when a choice repeats.
    /// </summary>
    /// <param name="choiceCount">The number of positions: the student's <see cref="Seq2SeqStudentTransformer.ClassNames"/> count (5 for CommonsenseQA).</param>
    /// <param name="outputColumnName">The key column to add, e.g. <c>"Label"</c>.</param>
    /// <param name="answerColumnName">The text column holding the gold answer.</param>
    /// <param name="choicesColumnName">The text-vector column holding the choices.</param>
    /// <remarks>This mapping is for evaluation; it is not saved with a model.</remarks>
    public IEstimator<ITransformer> MapChoiceLabelToKey(int choiceCount, string outputColumnName, string answerColumnName, string choicesColumnName) =>
        ChoiceLabelMapping.Create(MLContext, choiceCount, outputColumnName, answerColumnName, choicesColumnName);

    /// <summary>
    /// Exact-match accuracy of generated text (e.g. <c>PredictedText</c>) against a gold text column and, when
    /// <paramref name="compareAsEquations"/>, equation accuracy: both sides evaluated as arithmetic and compared by value.
    /// </summary>
    public GeneratedTextMetrics EvaluateGeneratedText(IDataView data, string labelColumnName = "Label", string predictedColumnName = "PredictedText", bool compareAsEquations = false) =>
        GeneratedTextEvaluator.Evaluate(data, labelColumnName, predictedColumnName, compareAsEquations);

    /// <summary>
    /// Saves a model that may hold students and input formats into one zip: ML.NET's entries (<c>mlContext.Model.Save</c>)
    /// plus each component's state (a student's head and weights, a format's schema) as extra entries. Load it with
    /// <see cref="LoadModel"/>.
    /// </summary>
    public void SaveModel(ITransformer model, DataViewSchema inputSchema, string path) =>
        ModelArchive.Save(MLContext, model, inputSchema, path);

    /// <summary>
    /// Loads a zip written by <see cref="SaveModel"/>: ML.NET's pipeline with its students and input formats put back in
    /// place. A plain <c>mlContext.Model.Load</c> cannot find them and says so. The returned model owns the students:
    /// dispose it to free their weights.
    /// </summary>
    /// <param name="path">The model zip.</param>
    /// <param name="inputSchema">The input schema saved with the model.</param>
    /// <param name="device">Where to put the students: <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:N"</c>, <c>"auto"</c>; null (default) follows <c>MLContext.GpuDeviceId</c> / <c>FallbackToCpu</c> (the CPU when no GPU is named).</param>
    public StepDistillModel LoadModel(string path, out DataViewSchema inputSchema, string? device = null)
    {
        var resolved = StudentDevice.Resolve(MLContext, device);
        return ModelArchive.Load(MLContext, path, new Dictionary<string, ArchivedComponentLoader>
        {
            [StudentInputFormatter.Kind] = StudentInputFormatter.Load,
            [Seq2SeqStudentTransformer.Kind] = (folder, ml) => Seq2SeqStudentTransformer.Load(folder, ml, resolved),
        }, out inputSchema);
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}

/// <summary>The trainers of <see cref="StepDistillCatalog"/>.</summary>
public sealed class StepDistillTrainers
{
    private readonly MLContext mlContext;

    internal StepDistillTrainers(MLContext mlContext) => this.mlContext = mlContext;

    /// <summary>The student step of Distilling Step-by-Step (and the paper's baselines, by <see cref="MultiTaskSeq2SeqTrainerOptions.Method"/>).</summary>
    public MultiTaskSeq2SeqTrainer MultiTaskSeq2Seq(MultiTaskSeq2SeqTrainerOptions options) => new(mlContext, options);

    /// <summary>
    /// The student step with the column names and the few settings most pipelines set; every other setting keeps its
    /// <see cref="MultiTaskSeq2SeqTrainerOptions"/> default (use the Options overload for them).
    /// </summary>
    /// <param name="labelColumnName">The gold label: text, or a key with text key values (its classes).</param>
    /// <param name="inputColumnName">The formatted input text (<c>FormatStudentInput</c>'s output).</param>
    /// <param name="rationaleColumnName">The rationale (the annotator's, or the dataset's own).</param>
    /// <param name="scoreColumnName">The output per-class scores.</param>
    /// <param name="predictedLabelColumnName">The output predicted key.</param>
    /// <param name="method">How the student is trained: step-by-step-teacher (default), step-by-step-gold, fine-tuning, distillation, single-task, ...</param>
    /// <param name="student">A preset trained from scratch (default <c>"tiny"</c>) or a Hugging Face checkpoint folder.</param>
    /// <param name="maxSteps">Optimiser steps; 0 (default) trains one epoch.</param>
    public MultiTaskSeq2SeqTrainer MultiTaskSeq2Seq(
        string labelColumnName = "Label",
        string inputColumnName = "Input",
        string rationaleColumnName = "Rationale",
        string scoreColumnName = "Score",
        string predictedLabelColumnName = "PredictedLabel",
        TrainingMethod method = TrainingMethod.StepByStepTeacher,
        string student = "tiny",
        int maxSteps = 0) =>
        new(mlContext, new MultiTaskSeq2SeqTrainerOptions
        {
            LabelColumnName = labelColumnName,
            InputColumnName = inputColumnName,
            RationaleColumnName = rationaleColumnName,
            ScoreColumnName = scoreColumnName,
            PredictedLabelColumnName = predictedLabelColumnName,
            Method = method,
            Student = student,
            MaxSteps = maxSteps,
        });
}

/// <summary>The transforms of <see cref="StepDistillCatalog"/>.</summary>
public sealed class StepDistillTransforms
{
    private readonly MLContext mlContext;

    internal StepDistillTransforms(MLContext mlContext) => this.mlContext = mlContext;

    /// <summary>
    /// The paper's input formatting as a pipeline step, saved in the model: reads the task's raw columns
    /// (<paramref name="schema"/>'s input fields and choices) and adds the student's input text and, for multiple-choice
    /// tasks, the row's choices as a text vector. A served model then takes raw rows.
    /// </summary>
    /// <param name="schema">The task's columns and family (<c>TaskDataset.Schema</c>, or your own <see cref="TaskSchema"/>).</param>
    /// <param name="outputColumnName">The input text column added (the trainer's <c>InputColumnName</c>).</param>
    /// <param name="choicesColumnName">The choices column added for multiple-choice tasks (set the trainer's <c>ChoicesColumnName</c> to it).</param>
    /// <param name="endOfSequence">The student tokenizer's end-of-sequence text, between NLI premise and hypothesis.</param>
    public FormatStudentInputEstimator FormatStudentInput(TaskSchema schema, string outputColumnName = "Input", string choicesColumnName = "Choices", string endOfSequence = NliFormat.T5EndOfSequence) =>
        new(mlContext, schema, outputColumnName, choicesColumnName, endOfSequence);
}
