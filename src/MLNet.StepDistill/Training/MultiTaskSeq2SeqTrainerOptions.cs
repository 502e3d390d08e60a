using System.Globalization;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Everything the student step can be told, with the paper's defaults where it gives them (alpha 0.5, AdamW,
/// learning rate 5e-5 for pretrained students, batch 64, max input 1024 and max target 256 tokens).
/// </summary>
public sealed class MultiTaskSeq2SeqTrainerOptions
{
    /// <summary>The text column the student reads: the task's formatted input (without the "predict: " / "explain: " prefix). Default <c>"Input"</c>.</summary>
    public string InputColumnName { get; set; } = "Input";

    /// <summary>
    /// The gold label (or target text) column, learned by the gold methods (<see cref="Method"/>) and read
    /// for validation. Text, or a key with text key values as <c>MapValueToKey</c> makes it: the key values are then
    /// the classes (in key order) unless <see cref="Labels"/> names them, and <c>PredictedLabel</c> has the same key values.
    /// Default <c>"Label"</c>.
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The teacher's label column, learned by the teacher-label methods (<see cref="Method"/>). Default <c>"TeacherLabel"</c> (the annotator's output).</summary>
    public string TeacherLabelColumnName { get; set; } = "TeacherLabel";

    /// <summary>The rationale column (every method but fine-tuning and distillation). Default <c>"Rationale"</c> (the annotator's output).</summary>
    public string RationaleColumnName { get; set; } = "Rationale";

    /// <summary>
    /// The annotation status column; rows whose status is not <see cref="OkAnnotationStatus"/> have no rationale, and
    /// no teacher label unless the status is <see cref="LabelOnlyAnnotationStatus"/>. When the column is absent every
    /// row with a non-empty rationale counts. Default <c>"AnnotationStatus"</c>.
    /// </summary>
    public string AnnotationStatusColumnName { get; set; } = "AnnotationStatus";

    /// <summary>The status value (case-insensitive) that marks a usable annotation: a rationale and a teacher label. Default <c>"ok"</c>.</summary>
    public string OkAnnotationStatus { get; set; } = "ok";

    /// <summary>
    /// The status value (case-insensitive) of a row whose teacher gave a label but no rationale: its teacher label
    /// trains the label task, and it has no rationale. Default <c>"label-only"</c>.
    /// </summary>
    public string LabelOnlyAnnotationStatus { get; set; } = "label-only";

    /// <summary>Whether a row of status <paramref name="status"/> has a usable rationale (the status is <see cref="OkAnnotationStatus"/>).</summary>
    internal bool GivesRationale(string status) => string.Equals(status.Trim(), OkAnnotationStatus, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a row of status <paramref name="status"/> has a usable teacher label (<see cref="OkAnnotationStatus"/> or <see cref="LabelOnlyAnnotationStatus"/>).</summary>
    internal bool GivesTeacherLabel(string status) =>
        GivesRationale(status) || string.Equals(status.Trim(), LabelOnlyAnnotationStatus, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Multiple-choice tasks: a text-vector column holding each row's answer choices. The row's choices are then its
    /// label set: <c>Score</c> has one slot per choice position (a, b, c, ...) and <c>PredictedLabel</c> is the position.
    /// Null (default) for tasks without per-row choices.
    /// </summary>
    public string? ChoicesColumnName { get; set; }

    /// <summary>
    /// A closed label set (e.g. entailment, neutral, contradiction): <c>Score</c> has one slot per label, in this order,
    /// and <c>PredictedLabel</c> is a key whose key values are these labels. Null (default) with no
    /// <see cref="ChoicesColumnName"/> means an open target: the transformer adds <c>PredictedText</c> by generation.
    /// </summary>
    public string[]? Labels { get; set; }

    /// <summary>
    /// How two answers compare in validation (and in the student's metadata): labels and choices as normalised text,
    /// equations by value. Null (default) takes the task's kind from the input column's
    /// <c>StudentInputFormatter.AnswerKindAnnotation</c> (set by <c>FormatStudentInput</c>), else
    /// <see cref="TaskAnswerKind.Choice"/> with a <see cref="ChoicesColumnName"/> and <see cref="TaskAnswerKind.Label"/> otherwise.
    /// </summary>
    public TaskAnswerKind? AnswerKind { get; set; }

    /// <summary>The output column of per-class scores (closed label sets and choices). Default <c>"Score"</c>.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The output key column of the predicted class. Default <c>"PredictedLabel"</c>.</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>The output text column of the predicted label, choice or generated answer. Default <c>"PredictedText"</c>.</summary>
    public string PredictedTextColumnName { get; set; } = "PredictedText";

    /// <summary>The output text column of the generated rationale. Default <c>"PredictedRationale"</c>.</summary>
    public string PredictedRationaleColumnName { get; set; } = "PredictedRationale";

    /// <summary>Rows the trained transformer's cursors answer together (likelihood scoring or generation of a batch). Default 16.</summary>
    public int PredictionBatchSize { get; set; } = 16;

    /// <summary>
    /// The student: a preset name for training from scratch (e.g. <c>"tiny"</c>, <c>"t5-small"</c>) or a Hugging Face
    /// checkpoint folder (config.json, model.safetensors, spiece.model). Default <c>"tiny"</c>.
    /// </summary>
    public string Student { get; set; } = "tiny";

    /// <summary>
    /// The SentencePiece model for a student trained from scratch; null uses the shipped
    /// <c>datasets/tokenizer/spiece.model</c> (searched upward from the working folder and the application folder).
    /// A checkpoint folder brings its own <c>spiece.model</c>.
    /// </summary>
    public string? TokenizerPath { get; set; }

    /// <summary>
    /// How the student is trained: <see cref="TrainingMethod.StepByStepTeacher"/> (default), step-by-step-gold,
    /// step-by-step-explained, fine-tuning, distillation or single-task. The method decides what the student outputs
    /// (<see cref="TrainingMethods.Mode"/>) and which label column its label task learns: <see cref="LabelColumnName"/>
    /// for the gold methods, <see cref="TeacherLabelColumnName"/> for the teacher's.
    /// </summary>
    public TrainingMethod Method { get; set; } = TrainingMethod.StepByStepTeacher;

    /// <summary>What the student outputs under <see cref="Method"/>: label only, two tasks, or one joined output.</summary>
    internal TrainingMode Mode => TrainingMethods.Mode(Method);

    /// <summary>Whether the label task learns <see cref="LabelColumnName"/> (gold) rather than <see cref="TeacherLabelColumnName"/>.</summary>
    internal bool LearnsGoldLabels => TrainingMethods.LearnsGoldLabels(Method);

    /// <summary>Weight of the label loss of the step-by-step methods; the rationale loss gets 1 - alpha. Default 0.5 (the paper's).</summary>
    public float Alpha { get; set; } = 0.5f;

    /// <summary>
    /// The default learning rate of a student trained from scratch (a preset): 5e-4, measured for <c>tiny</c> on e-SNLI
    /// (1,000 steps of 16, fine-tuning on the whole pool: 5e-4 learned, 3e-4 and 1e-3 less, 2e-3 collapsed to one class;
    /// see the README). <c>train</c>, <c>experiment</c> and <c>sweep</c> all take it.
    /// </summary>
    public const double FromScratchLearningRate = 5e-4;

    /// <summary>The default learning rate of a pretrained student (a checkpoint folder): 5e-5, the paper's.</summary>
    public const double PretrainedLearningRate = 5e-5;

    /// <summary>
    /// AdamW's base learning rate. Null (default) picks by <see cref="Student"/>: <see cref="PretrainedLearningRate"/>
    /// (5e-5, the paper's) for a checkpoint folder, <see cref="FromScratchLearningRate"/> (5e-4) for a preset trained
    /// from scratch, which learns next to nothing at 5e-5 in a CPU-sized number of steps (pair it with some
    /// <see cref="WarmupSteps"/>).
    /// </summary>
    public double? LearningRate { get; set; }

    /// <summary>The schedule after warm-up. Default <see cref="Training.LearningRateSchedule.Linear"/> decay to zero.</summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Linear;

    /// <summary>Steps of linear warm-up from 0 to the base rate. Default 0.</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Rows per optimiser step. Default 64 (the paper's).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>Micro-batches per optimiser step (the batch is split into this many parts; gradients add up). Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Optimiser steps to make; 0 (default) means <see cref="Epochs"/> passes over the training rows.</summary>
    public int MaxSteps { get; set; }

    /// <summary>Passes over the training rows when <see cref="MaxSteps"/> is 0. Default 1.</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Gradients are clipped to this global L2 norm; 0 or less turns clipping off. Default 1.0.</summary>
    public double MaxGradientNorm { get; set; } = 1.0;

    /// <summary>AdamW's decoupled weight decay (not applied to layer norms). Default 0.</summary>
    public double WeightDecay { get; set; }

    /// <summary>The most tokens of an input; longer inputs are cut. Default 1024 (the paper's).</summary>
    public int MaxInputLength { get; set; } = 1024;

    /// <summary>The most tokens of a target (label or rationale), and of generated text. Default 256 (the paper's).</summary>
    public int MaxTargetLength { get; set; } = 256;

    /// <summary>Validate every this many steps on the validation data given to <c>Fit</c>; 0 (default) validates only at the end.</summary>
    public int EvaluateEveryNSteps { get; set; }

    /// <summary>With validation data: restore the weights of the best validation accuracy at the end. Default true.</summary>
    public bool KeepBestCheckpoint { get; set; } = true;

    /// <summary>With validation data: stop after this many validations without improvement; 0 (default) never stops early.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>
    /// The seed of weight initialisation, dropout and batch order. Null (default) draws it from the MLContext's random
    /// source, as ML.NET's trainers do: with <c>new MLContext(seed: s)</c> the same sequence of fits on a fresh context
    /// gets the same seeds (each fit draws the next one); an MLContext created without a seed gives a different seed
    /// every run.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// The torch device, e.g. <c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>, <c>"auto"</c>. Null (default) follows the
    /// MLContext as ML.NET's GPU trainers do: <c>mlContext.GpuDeviceId</c> set means that CUDA device (or the CPU when it
    /// is not available and <c>mlContext.FallbackToCpu</c> is true), unset means the CPU.
    /// </summary>
    public string? Device { get; set; }

    /// <summary>
    /// CPU threads (libtorch intra-op) for training; as libtorch has one pool per process, the student's predictions in
    /// this process afterwards use the same count. Null (default): the process's setting, which is the library's measured
    /// default (<see cref="TorchThreads.DefaultNumberOfThreads"/>, 1; <c>OMP_NUM_THREADS</c> decides when it is set)
    /// unless <see cref="TorchThreads.Apply"/> chose another; 0: libtorch's own default (one thread per physical core);
    /// otherwise that many threads. See the README's "Threads" section for the measurement.
    /// </summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Matrix-product precision; null (default) takes the device's default (float32 on CPU, bf16 autocast on CUDA).</summary>
    public T5Precision? Precision { get; set; }

    /// <summary>A folder for checkpoints (written atomically every <see cref="CheckpointEveryNSteps"/>); null (default) writes none.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Write a checkpoint every this many steps (with a <see cref="CheckpointFolder"/>). Default 100.</summary>
    public int CheckpointEveryNSteps { get; set; } = 100;

    /// <summary>Continue from the checkpoint in <see cref="CheckpointFolder"/> when there is one. Default false.</summary>
    public bool Resume { get; set; }

    /// <summary>Whether the trained transformer also generates <c>PredictedRationale</c> (slower; step-by-step and single-task only). Default false.</summary>
    public bool GenerateRationale { get; set; }

    /// <summary>
    /// How a closed-set candidate's token log-likelihoods become its score before the softmax over the candidates:
    /// <see cref="Tasks.ScoreAggregation.Sum"/> (the whole text's log-likelihood),
    /// <see cref="Tasks.ScoreAggregation.Mean"/> (per token, length-normalised) or
    /// <see cref="Tasks.ScoreAggregation.FirstToken"/> (the first token alone: the cheapest, one decoder position per
    /// row; label sets whose labels begin with different tokens only). Saved with the model. Default
    /// <see cref="Tasks.ScoreAggregation.Mean"/>: on tiny students (300 steps, first 300 test rows; benchmark
    /// <c>aggregation</c>) accuracy was the same (CQA 0.153 vs 0.157, e-SNLI 0.347 both) and the log-loss far lower
    /// (CQA 1.99 vs 9.84, e-SNLI 1.105 vs 1.129); the sum picked the shortest CQA choice in 300 of 300 rows.
    /// </summary>
    public ScoreAggregation ScoreAggregation { get; set; } = ScoreAggregation.Mean;

    /// <summary>
    /// Length-bucketed batches: 0 (default) cuts each epoch's shuffled order into batches as it is; a window of N &gt; 1
    /// rows sorts each consecutive window of the shuffled order by token length before cutting it, so a batch holds
    /// rows of similar length and pads less. The batch order is still shuffled and still depends only on the seed.
    /// </summary>
    public int LengthBucketWindow { get; set; }

    /// <summary>Receives a report after every optimiser step. Null (default) for none.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>The learning rate training uses: <see cref="LearningRate"/>, or the default for the kind of <see cref="Student"/>.</summary>
    internal double EffectiveLearningRate => LearningRate ?? DefaultLearningRate(Student);

    /// <summary>
    /// The learning rate a student trains at when none is given: <see cref="PretrainedLearningRate"/> for a checkpoint
    /// folder, <see cref="FromScratchLearningRate"/> for a preset trained from scratch.
    /// </summary>
    /// <param name="student">A preset name or a Hugging Face checkpoint folder, as in <see cref="Student"/>.</param>
    public static double DefaultLearningRate(string student) =>
        Directory.Exists(student) ? PretrainedLearningRate : FromScratchLearningRate;

    /// <summary>
    /// Sets how the answers of <paramref name="family"/> reach the student: the choices column for multiple choice
    /// (<see cref="ChoicesColumnName"/>), the dataset's closed label set for classification and NLI (<see cref="Labels"/>),
    /// open text otherwise. The one mapping from a task to trainer options that <c>train</c>, <c>experiment</c> and
    /// <c>sweep</c> share.
    /// </summary>
    /// <returns>These options.</returns>
    public MultiTaskSeq2SeqTrainerOptions ForTask(TaskFamily family, TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(family);
        ArgumentNullException.ThrowIfNull(schema);
        ChoicesColumnName = family.HasChoices ? nameof(AnnotatedRow.Choices) : null;
        Labels = family.ClosedLabels(schema)?.ToArray();
        return this;
    }

    /// <summary>Checks every option and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        void Require(bool ok, string option, string problem)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(option, $"{nameof(MultiTaskSeq2SeqTrainerOptions)}.{option} {problem}");
            }
        }

        Require(Alpha is >= 0 and <= 1, nameof(Alpha), string.Create(CultureInfo.InvariantCulture, $"must be in [0, 1], got {Alpha}."));
        Require(LearningRate is null or > 0, nameof(LearningRate), string.Create(CultureInfo.InvariantCulture, $"must be positive (or null for the default), got {LearningRate}."));
        Require(BatchSize > 0, nameof(BatchSize), $"must be positive, got {BatchSize}.");
        Require(GradientAccumulationSteps > 0, nameof(GradientAccumulationSteps), $"must be positive, got {GradientAccumulationSteps}.");
        Require(MaxSteps >= 0, nameof(MaxSteps), $"must be 0 (use Epochs) or positive, got {MaxSteps}.");
        Require(MaxSteps > 0 || Epochs > 0, nameof(Epochs), $"must be positive when MaxSteps is 0, got {Epochs}.");
        Require(WarmupSteps >= 0, nameof(WarmupSteps), $"must not be negative, got {WarmupSteps}.");
        Require(MaxInputLength > 1, nameof(MaxInputLength), $"must be at least 2, got {MaxInputLength}.");
        Require(MaxTargetLength > 1, nameof(MaxTargetLength), $"must be at least 2, got {MaxTargetLength}.");
        Require(EvaluateEveryNSteps >= 0, nameof(EvaluateEveryNSteps), $"must not be negative, got {EvaluateEveryNSteps}.");
        Require(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), $"must not be negative, got {EarlyStoppingPatience}.");
        Require(PredictionBatchSize > 0, nameof(PredictionBatchSize), $"must be positive, got {PredictionBatchSize}.");
        Require(!new[] { ScoreColumnName, PredictedLabelColumnName, PredictedTextColumnName, PredictedRationaleColumnName }.Any(string.IsNullOrWhiteSpace),
            "ScoreColumnName", "and the other output column names must not be empty.");
        Require(NumberOfThreads is null or >= 0, nameof(NumberOfThreads), $"must be positive, 0 (libtorch's own default) or null (the library's default), got {NumberOfThreads}.");
        Require(LengthBucketWindow >= 0, nameof(LengthBucketWindow), $"must be 0 (off) or a window of rows, got {LengthBucketWindow}.");
        Require(CheckpointEveryNSteps > 0, nameof(CheckpointEveryNSteps), $"must be positive, got {CheckpointEveryNSteps}.");
        Require(!Resume || CheckpointFolder is not null, nameof(Resume), "needs a CheckpointFolder to resume from.");
        Require(!(GenerateRationale && Mode == TrainingMode.Standard), nameof(GenerateRationale), "needs a method that learns rationales (fine-tuning and distillation never do).");
        Require(Labels is null || ChoicesColumnName is null, nameof(Labels), "and ChoicesColumnName exclude each other: a task has a fixed label set or per-row choices.");
        Require(Labels is null || Labels.Distinct(StringComparer.Ordinal).Count() == Labels.Length, nameof(Labels), "must not repeat a label.");
    }

    /// <summary>A copy of these options (a shallow one: <see cref="Labels"/> is the same array).</summary>
    internal MultiTaskSeq2SeqTrainerOptions Copy() => (MultiTaskSeq2SeqTrainerOptions)MemberwiseClone();
}
