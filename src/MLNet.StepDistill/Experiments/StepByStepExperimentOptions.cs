using System.Globalization;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// What the experiment runs: every method x training fraction x seed, one student each, all with the same student,
/// lengths and step budget, all scored on the same test rows. The defaults are the CPU-sized configuration chosen by
/// measurement (see the README); <see cref="PaperRecipe"/> gives the paper's settings for a pretrained student on a GPU.
/// </summary>
/// <remarks>
/// The step-budget rule is <see cref="StepBudget"/>: by default <b>equal steps</b>, every run makes <see cref="Steps"/>
/// optimiser steps of the <see cref="Trainer"/>'s batch size, whatever its fraction, so a smaller fraction sees its rows more
/// often (the paper trains every data size for the same number of steps); or equal epochs. Training rows of a seed are nested: the rows of fraction 0.25 are
/// the first quarter of that seed's shuffle of the pool, and the rows of 0.5 include them.
/// </remarks>
public sealed class StepByStepExperimentOptions
{
    /// <summary>A dataset folder holding <c>dataset.json</c> and recorded teacher completions. Default <c>"datasets/esnli"</c>.</summary>
    public string DatasetFolder { get; set; } = "datasets/esnli";

    /// <summary>The training pool; null (default) takes <c>train</c>, or <c>valid</c> where the dataset has no train split (anli1, esnli).</summary>
    public string? TrainSplit { get; set; }

    /// <summary>
    /// An annotated-rows file (<see cref="Recipes.AnnotatedRowsFile"/>: what <c>stepdistill annotate --out</c> writes, any
    /// teacher) to take the training pool from, instead of <see cref="TrainSplit"/> annotated by the dataset's recorded
    /// teacher; null (default) for the split. The test rows, and the teacher's test accuracy, still come from
    /// <see cref="DatasetFolder"/>'s <see cref="TestSplit"/>. <c>results.json</c> records the file's path and SHA-256, so
    /// resuming with another file is refused.
    /// </summary>
    public string? AnnotatedRowsPath { get; set; }

    /// <summary>
    /// An annotated-rows file written with <c>--rationales explain-gold</c> (<see cref="Teaching.RationaleMode.ExplainGold"/>)
    /// over the same rows as the pool: the rationales of <see cref="TrainingMethod.StepByStepExplained"/>, matched to
    /// the pool's rows by id (a pool row the file lacks, or whose explanation was filtered, trains the label alone).
    /// Required by that method and only by it; null (default) for none. <c>results.json</c> records its SHA-256.
    /// </summary>
    public string? ExplainedRowsPath { get; set; }

    /// <summary>The held-out split every run is scored on. Default <c>"test"</c>.</summary>
    public string TestSplit { get; set; } = "test";

    /// <summary>
    /// Skip rows (of the pool and the test split) whose gold label is outside the dataset's label set instead of failing
    /// (<see cref="Tasks.TaskReadOptions.DropUnknownLabels"/>; <c>TaskDataset.ReadExamples(split).DroppedRows</c> lists them). Default false.
    /// </summary>
    public bool DropUnknownLabels { get; set; }

    /// <summary>Score on the first this many rows of <see cref="TestSplit"/>; 0 scores all. Default 1000 (a Wilson half-width of about 0.03).</summary>
    public int TestRows { get; set; } = 1000;

    /// <summary>Rows taken out of the pool (seeded, before any fraction) to validate on during training; 0 (default) for none.</summary>
    public int ValidationRows { get; set; }

    /// <summary>The methods, run and tabulated in this order. Default the paper's four (<see cref="TrainingMethods.Paper"/>).</summary>
    public TrainingMethod[] Methods { get; set; } = [.. TrainingMethods.Paper];

    /// <summary>Shares of the pool to train on, each in (0, 1]. Default 0.25 and 1.</summary>
    public double[] Fractions { get; set; } = [0.25, 1.0];

    /// <summary>
    /// Seeds of the training sample, weights, dropout and batch order; the table shows mean and 95% interval over them
    /// (with one seed, the Wilson interval of that run's test accuracy). Default 1 alone: two seeds double the default's
    /// time past its budget, and a t-interval over two seeds is too wide (12.7 standard errors) to tell anything apart.
    /// </summary>
    public int[] Seeds { get; set; } = [1];

    /// <summary>How the steps of a run follow from <see cref="Steps"/> and its fraction. Default <see cref="ExperimentStepBudget.EqualSteps"/>.</summary>
    public ExperimentStepBudget StepBudget { get; set; } = ExperimentStepBudget.EqualSteps;

    /// <summary>Optimiser steps of every run (of the whole pool under <see cref="ExperimentStepBudget.EqualEpochs"/>). Default 1500 (the fewest of 1000 and 1500 that get full-data fine-tuning of <c>tiny</c> past the majority baseline with seeds 1 and 2; see the README).</summary>
    public int Steps { get; set; } = 1500;

    /// <summary>The steps of a run on <paramref name="fraction"/> of the pool under <see cref="StepBudget"/>.</summary>
    internal int StepsFor(double fraction) =>
        StepBudget == ExperimentStepBudget.EqualEpochs ? Math.Max(1, (int)Math.Round(Steps * fraction)) : Steps;

    /// <summary>Linear warm-up steps; null (default) warms up over a tenth of <see cref="Steps"/>.</summary>
    public int? WarmupSteps { get; set; }

    /// <summary>
    /// The trainer settings every run shares: the student (<see cref="MultiTaskSeq2SeqTrainerOptions.Student"/>, a preset
    /// trained from scratch or a Hugging Face checkpoint folder) and its tokenizer, rows per step, the learning rate (null:
    /// the trainer's default for the student's kind, <see cref="MultiTaskSeq2SeqTrainerOptions.DefaultLearningRate(string)"/>,
    /// the same as <c>train</c> and <c>sweep</c>), alpha, the lengths, the validation interval (with
    /// <see cref="ValidationRows"/>; the best checkpoint is kept), the device, the threads and the optimiser's other
    /// settings. Each run sets its method, steps (<see cref="Steps"/>), warm-up (<see cref="WarmupSteps"/>) and seed
    /// itself, so those stay at the trainer's defaults here (the constructor says which one is not). Default: the
    /// trainer's defaults but the CPU-sized batch of 16 rows, 96 input and 32 target tokens on the <c>"cpu"</c> device
    /// (<see cref="DefaultTrainer"/>). <c>results.json</c> records the student, batch, learning rate, alpha, lengths and
    /// validation interval, and every other setting that affects the results where it differs from the trainer's default.
    /// </summary>
    public MultiTaskSeq2SeqTrainerOptions Trainer { get; set; } = DefaultTrainer();

    /// <summary>The experiment's default <see cref="Trainer"/>: batch 16, 96 input and 32 target tokens, the CPU, otherwise the trainer's defaults.</summary>
    public static MultiTaskSeq2SeqTrainerOptions DefaultTrainer() => new() { BatchSize = 16, MaxInputLength = 96, MaxTargetLength = 32, Device = "cpu" };

    /// <summary>
    /// A folder for <c>results.json</c> (written atomically after every run); a run found there with the same settings is
    /// not trained again, so a killed experiment resumes. Null (default) keeps results in memory only.
    /// </summary>
    public string? OutputFolder { get; set; }

    /// <summary>
    /// Train nothing: tabulate only the runs <see cref="OutputFolder"/>'s results.json already holds (e.g. to write the
    /// report of an experiment that was interrupted). Default false.
    /// </summary>
    public bool ReportOnly { get; set; }

    /// <summary>Teacher price per million prompt tokens (any currency) for the cost section; null (default) for none.</summary>
    public double? TeacherPricePerMillionInputTokens { get; set; }

    /// <summary>Teacher price per million completion tokens; null (default) for none.</summary>
    public double? TeacherPricePerMillionOutputTokens { get; set; }

    /// <summary>
    /// How many runs train side by side, each on a dedicated thread with its own random generator (a run's results do
    /// not depend on how many run beside it: results.json is the same for 1 and N). Null (default): one run per set of
    /// torch threads the cores hold, max(1, <see cref="Environment.ProcessorCount"/> /
    /// <see cref="T5.TorchThreads.DefaultNumberOfThreads"/>), 2 on a two-core machine, where two one-thread runs side
    /// by side make about twice the steps per second of one (README, "Runs side by side"). Each run holds its own
    /// student, optimiser and activations in memory.
    /// </summary>
    public int? Parallel { get; set; }

    /// <summary>
    /// Receives every optimiser step of every run, and every finished or skipped run. Null (default) for none. With
    /// <see cref="Parallel"/> above 1 reports come from the runs' threads, one at a time per run but several runs at once.
    /// </summary>
    public IProgress<ExperimentRunProgress>? Progress { get; set; }

    /// <summary>
    /// The paper's protocol (Hsieh et al. 2023, section 4 and appendix): AdamW at learning rate 5e-5, batch 64, max input
    /// 1024 tokens, alpha 0.5, 10,000 steps, evaluation every 250 steps with the best checkpoint on validation, the four
    /// methods at 12.5%, 25%, 50% and 100% of the data. With <paramref name="student"/> a pretrained checkpoint folder
    /// (e.g. <c>t5-v1_1-base</c>) and <paramref name="device"/> <c>"cuda"</c> this is the paper's experiment.
    /// </summary>
    public static StepByStepExperimentOptions PaperRecipe(string student = "t5-v1_1-base", string device = "cuda") => new()
    {
        Trainer = new()
        {
            Student = student,
            Device = device,
            LearningRate = 5e-5,
            BatchSize = 64,
            MaxInputLength = 1024,
            MaxTargetLength = 256,
            Alpha = 0.5f,
            EvaluateEveryNSteps = 250,
        },
        WarmupSteps = 0,
        Steps = 10_000,
        ValidationRows = 1000,
        Fractions = [0.125, 0.25, 0.5, 1.0],
        Seeds = [0],
        TestRows = 0,
    };

    /// <summary>Checks every option (and the shared <see cref="Trainer"/> settings) and names the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range, or a trainer setting is set that each run sets; the message names it.</exception>
    public void Validate()
    {
        void Require(bool ok, string option, string problem)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(option, string.Create(CultureInfo.InvariantCulture, $"{nameof(StepByStepExperimentOptions)}.{option} {problem}"));
            }
        }

        Require(!string.IsNullOrWhiteSpace(DatasetFolder), nameof(DatasetFolder), "must name a dataset folder (holding dataset.json).");
        Require(AnnotatedRowsPath is null || !string.IsNullOrWhiteSpace(AnnotatedRowsPath), nameof(AnnotatedRowsPath), "must name a file (written by `stepdistill annotate --out`) or be null.");
        Require(AnnotatedRowsPath is null || TrainSplit is null, nameof(AnnotatedRowsPath),
            "and StepByStepExperimentOptions.TrainSplit both name the training pool: give the annotated file or the split, not both.");
        Require(TestRows >= 0, nameof(TestRows), $"must be 0 (all) or positive, got {TestRows}.");
        Require(ValidationRows >= 0, nameof(ValidationRows), $"must be 0 (none) or positive, got {ValidationRows}.");
        Require(Methods is { Length: > 0 }, nameof(Methods), "must name at least one method.");
        Require(Methods.Distinct().Count() == Methods.Length, nameof(Methods), "names a method twice.");
        Require(Fractions is { Length: > 0 }, nameof(Fractions), "must hold at least one fraction.");
        foreach (var f in Fractions ?? [])
        {
            Require(f is > 0 and <= 1, nameof(Fractions), string.Create(CultureInfo.InvariantCulture, $"must each be in (0, 1], got {f}."));
        }

        Require(Fractions?.Distinct().Count() == Fractions?.Length, nameof(Fractions), "holds a fraction twice.");
        Require(Seeds is { Length: > 0 }, nameof(Seeds), "must hold at least one seed.");
        Require(Seeds!.Distinct().Count() == Seeds.Length, nameof(Seeds), "holds a seed twice.");
        Require(Steps > 0, nameof(Steps), $"must be positive, got {Steps}.");
        Require(WarmupSteps is null or >= 0, nameof(WarmupSteps), $"must not be negative, got {WarmupSteps}.");
        Require(Parallel is null or > 0, nameof(Parallel), $"must be positive (runs side by side) or null (one per core), got {Parallel}.");
        Require(!ReportOnly || OutputFolder is not null, nameof(ReportOnly), "needs an OutputFolder holding results.json.");
        Require(TeacherPricePerMillionInputTokens is null or >= 0, nameof(TeacherPricePerMillionInputTokens), string.Create(CultureInfo.InvariantCulture, $"must not be negative, got {TeacherPricePerMillionInputTokens}."));
        Require(TeacherPricePerMillionOutputTokens is null or >= 0, nameof(TeacherPricePerMillionOutputTokens), string.Create(CultureInfo.InvariantCulture, $"must not be negative, got {TeacherPricePerMillionOutputTokens}."));
        Require(Trainer is not null, nameof(Trainer), "must be set.");
        RunTrainerOptions.ValidateShared(Trainer!, $"{nameof(StepByStepExperimentOptions)}.{nameof(Trainer)}",
            "each run sets it (the method, the steps from Steps and the fraction, the warm-up from WarmupSteps, the seed from Seeds, the annotated rows' columns)", []);
    }
}
