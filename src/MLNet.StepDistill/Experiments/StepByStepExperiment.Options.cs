using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

public sealed partial class StepByStepExperiment
{
    /// <summary>
    /// What the experiment runs: every method x training fraction x seed, one student each, all with the same student,
    /// lengths and step budget, all scored on the same test rows. The defaults are the CPU-sized configuration chosen by
    /// measurement (see the README); <see cref="PaperRecipe"/> gives the paper's settings for a pretrained student on a GPU.
    /// </summary>
    /// <remarks>
    /// The step-budget rule is <see cref="StepBudget"/>: by default <b>equal steps</b>, every run makes <see cref="Steps"/>
    /// optimiser steps of <see cref="BatchSize"/> rows, whatever its fraction, so a smaller fraction sees its rows more
    /// often (the paper trains every data size for the same number of steps); or equal epochs. Training rows of a seed are nested: the rows of fraction 0.25 are
    /// the first quarter of that seed's shuffle of the pool, and the rows of 0.5 include them.
    /// </remarks>
    public sealed class Options
    {
        /// <summary>A dataset folder holding <c>dataset.json</c> and recorded teacher completions. Default <c>"datasets/esnli"</c>.</summary>
        public string DatasetFolder = "datasets/esnli";

        /// <summary>The training pool; null (default) takes <c>train</c>, or <c>valid</c> where the dataset has no train split (anli1, esnli).</summary>
        public string? TrainSplit;

        /// <summary>
        /// An annotated-rows file (<see cref="Recipes.AnnotatedRowsFile"/>: what <c>stepdistill annotate --out</c> writes, any
        /// teacher) to take the training pool from, instead of <see cref="TrainSplit"/> annotated by the dataset's recorded
        /// teacher; null (default) for the split. The test rows, and the teacher's test accuracy, still come from
        /// <see cref="DatasetFolder"/>'s <see cref="TestSplit"/>. <c>results.json</c> records the file's path and SHA-256, so
        /// resuming with another file is refused.
        /// </summary>
        public string? AnnotatedRowsPath;

        /// <summary>
        /// An annotated-rows file written with <c>--rationales explain-gold</c> (<see cref="Teaching.RationaleMode.ExplainGold"/>)
        /// over the same rows as the pool: the rationales of <see cref="TrainingMethod.StepByStepExplained"/>, matched to
        /// the pool's rows by id (a pool row the file lacks, or whose explanation was filtered, trains the label alone).
        /// Required by that method and only by it; null (default) for none. <c>results.json</c> records its SHA-256.
        /// </summary>
        public string? ExplainedRowsPath;

        /// <summary>The held-out split every run is scored on. Default <c>"test"</c>.</summary>
        public string TestSplit = "test";

        /// <summary>
        /// Skip rows (of the pool and the test split) whose gold label is outside the dataset's label set instead of failing
        /// (<see cref="Tasks.TaskReadOptions.DropUnknownLabels"/>; <c>TaskDataset.ReadExamples(split).DroppedRows</c> lists them). Default false.
        /// </summary>
        public bool DropUnknownLabels;

        /// <summary>Score on the first this many rows of <see cref="TestSplit"/>; 0 scores all. Default 1000 (a Wilson half-width of about 0.03).</summary>
        public int TestRows = 1000;

        /// <summary>Rows taken out of the pool (seeded, before any fraction) to validate on during training; 0 (default) for none.</summary>
        public int ValidationRows;

        /// <summary>The methods, run and tabulated in this order. Default the paper's four (<see cref="TrainingMethods.Paper"/>).</summary>
        public TrainingMethod[] Methods = [.. TrainingMethods.Paper];

        /// <summary>Shares of the pool to train on, each in (0, 1]. Default 0.25 and 1.</summary>
        public double[] Fractions = [0.25, 1.0];

        /// <summary>
        /// Seeds of the training sample, weights, dropout and batch order; the table shows mean and 95% interval over them
        /// (with one seed, the Wilson interval of that run's test accuracy). Default 1 alone: two seeds double the default's
        /// time past its budget, and a t-interval over two seeds is too wide (12.7 standard errors) to tell anything apart.
        /// </summary>
        public int[] Seeds = [1];

        /// <summary>A T5 preset trained from scratch or a Hugging Face checkpoint folder. Default <c>"tiny"</c>.</summary>
        public string Student = "tiny";

        /// <summary>The SentencePiece model for a preset; null uses the shipped <c>datasets/tokenizer/spiece.model</c>.</summary>
        public string? TokenizerPath;

        /// <summary>How the steps of a run follow from <see cref="Steps"/> and its fraction. Default <see cref="ExperimentStepBudget.EqualSteps"/>.</summary>
        public ExperimentStepBudget StepBudget = ExperimentStepBudget.EqualSteps;

        /// <summary>Optimiser steps of every run (of the whole pool under <see cref="ExperimentStepBudget.EqualEpochs"/>). Default 1000 (fewer do not get full-data fine-tuning of <c>tiny</c> past the majority baseline; see the README).</summary>
        public int Steps = 1000;

        /// <summary>The steps of a run on <paramref name="fraction"/> of the pool under <see cref="StepBudget"/>.</summary>
        internal int StepsFor(double fraction) =>
            StepBudget == ExperimentStepBudget.EqualEpochs ? Math.Max(1, (int)Math.Round(Steps * fraction)) : Steps;

        /// <summary>Rows per step. Default 16.</summary>
        public int BatchSize = 16;

        /// <summary>
        /// Base learning rate; null (default) takes the trainer's default for the student's kind
        /// (<see cref="Training.MultiTaskSeq2SeqTrainer.Options.DefaultLearningRate(string)"/>: 5e-4 for a preset trained from scratch, 5e-5
        /// for a checkpoint folder), the same as <c>train</c> and <c>sweep</c>.
        /// </summary>
        public double? LearningRate;

        /// <summary>Linear warm-up steps; null (default) warms up over a tenth of <see cref="Steps"/>.</summary>
        public int? WarmupSteps;

        /// <summary>Label-loss weight of the step-by-step methods. Default 0.5 (the paper's).</summary>
        public float Alpha = 0.5f;

        /// <summary>The most input tokens. Default 96.</summary>
        public int MaxInputLength = 96;

        /// <summary>The most target tokens (labels and rationales). Default 32.</summary>
        public int MaxTargetLength = 32;

        /// <summary>With <see cref="ValidationRows"/>: validate every this many steps and keep the best checkpoint; 0 (default) only at the end.</summary>
        public int EvaluateEveryNSteps;

        /// <summary>The torch device: <c>"cpu"</c> (default), <c>"cuda"</c>, <c>"cuda:N"</c>.</summary>
        public string Device = "cpu";

        /// <summary>
        /// A folder for <c>results.json</c> (written atomically after every run); a run found there with the same settings is
        /// not trained again, so a killed experiment resumes. Null (default) keeps results in memory only.
        /// </summary>
        public string? OutputFolder;

        /// <summary>
        /// Train nothing: tabulate only the runs <see cref="OutputFolder"/>'s results.json already holds (e.g. to write the
        /// report of an experiment that was interrupted). Default false.
        /// </summary>
        public bool ReportOnly;

        /// <summary>Teacher price per million prompt tokens (any currency) for the cost section; null (default) for none.</summary>
        public double? TeacherPricePerMillionInputTokens;

        /// <summary>Teacher price per million completion tokens; null (default) for none.</summary>
        public double? TeacherPricePerMillionOutputTokens;

        /// <summary>
        /// How many runs train side by side, each on a dedicated thread with its own random generator (a run's results do
        /// not depend on how many run beside it: results.json is the same for 1 and N). Null (default): one run per set of
        /// torch threads the cores hold, max(1, <see cref="Environment.ProcessorCount"/> /
        /// <see cref="T5.TorchThreads.DefaultNumberOfThreads"/>), 2 on a two-core machine, where two one-thread runs side
        /// by side make about twice the steps per second of one (README, "Runs side by side"). Each run holds its own
        /// student, optimiser and activations in memory.
        /// </summary>
        public int? Parallel;

        /// <summary>
        /// Receives every optimiser step of every run, and every finished or skipped run. Null (default) for none. With
        /// <see cref="Parallel"/> above 1 reports come from the runs' threads, one at a time per run but several runs at once.
        /// </summary>
        public IProgress<ExperimentRunProgress>? Progress;

        /// <summary>
        /// The paper's protocol (Hsieh et al. 2023, section 4 and appendix): AdamW at learning rate 5e-5, batch 64, max input
        /// 1024 tokens, alpha 0.5, 10,000 steps, evaluation every 250 steps with the best checkpoint on validation, the four
        /// methods at 12.5%, 25%, 50% and 100% of the data. With <paramref name="student"/> a pretrained checkpoint folder
        /// (e.g. <c>t5-v1_1-base</c>) and <paramref name="device"/> <c>"cuda"</c> this is the paper's experiment.
        /// </summary>
        public static Options PaperRecipe(string student = "t5-v1_1-base", string device = "cuda") => new()
        {
            Student = student,
            Device = device,
            LearningRate = 5e-5,
            WarmupSteps = 0,
            BatchSize = 64,
            MaxInputLength = 1024,
            MaxTargetLength = 256,
            Alpha = 0.5f,
            Steps = 10_000,
            EvaluateEveryNSteps = 250,
            ValidationRows = 1000,
            Fractions = [0.125, 0.25, 0.5, 1.0],
            Seeds = [0],
            TestRows = 0,
        };
    }
}
