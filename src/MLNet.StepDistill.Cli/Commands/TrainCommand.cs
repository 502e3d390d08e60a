using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill train`: trains a student and saves the model zip. The rows come from a dataset split, with rationales from
/// the dataset's own <c>rationaleField</c> or its recorded teacher, or from a file <c>stepdistill annotate --out</c> wrote
/// (<c>--annotated</c>).
/// </summary>
internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    internal class Settings : StudentTrainingSettings
    {
        [CommandOption("--recorded-name <NAME>")]
        [Description("Which recorded teacher of the dataset annotates the split (default: the dataset's own rationaleField when it has one, else its first recorded teacher).")]
        public string? RecordedName { get; set; }

        [CommandOption("--method <NAME>")]
        [Description("How the student is trained, by the names experiment --methods takes: fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task, step-by-step-explained (needs --annotated from annotate --rationales explain-gold). Default: step-by-step-teacher, or step-by-step-gold when the rows have no teacher labels.")]
        public string? Method { get; set; }

        [CommandOption("--fraction <F>")]
        [Description("Share of the training rows to use, in (0, 1]] (a seeded sample). Default 1.")]
        public double? Fraction { get; set; }

        [CommandOption("--epochs <N>")]
        [Description("Passes over the training rows, instead of --steps.")]
        public int? Epochs { get; set; }

        [CommandOption("--validation-split <NAME>")]
        [Description("A split of --dataset to validate on (gold labels); the best validation accuracy's weights are kept.")]
        public string? ValidationSplit { get; set; }

        [CommandOption("--seed <N>")]
        [DefaultValue(0)]
        [Description("Seed of weights, dropout, batch order and the --fraction sample.")]
        public int Seed { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }

        [CommandOption("--checkpoint-dir <FOLDER>")]
        [Description("Write checkpoints here (every --checkpoint-every steps), atomically.")]
        public string? CheckpointDir { get; set; }

        [CommandOption("--checkpoint-every <N>")]
        [Description("Steps between checkpoints. Default 50.")]
        public int CheckpointEvery { get; set; } = 50;

        [CommandOption("--resume")]
        [Description("Continue from the checkpoint in --checkpoint-dir.")]
        public bool Resume { get; set; }
    }

    private readonly TextWriter output;

    public TrainCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal TrainCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Out))
        {
            throw new UserFacingException("train: --out is required (the model zip to write, e.g. model.zip)");
        }

        ModelFiles.CheckOutputFolder("train", settings.Out);
        var result = Run(settings, cancellationToken);
        if (settings.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            output.WriteLine(Summary(result, annotated: settings.Annotated is not null));
        }

        return 0;
    }

    /// <summary>The line train prints without --json. A split is named within its dataset (cqa/train); an --annotated file by its own path.</summary>
    internal static string Summary(TrainResult result, bool annotated)
    {
        var validation = result.validationAccuracy is { } v ? $"; validation accuracy {v.ToString("F4", CultureInfo.InvariantCulture)} (best {result.bestValidationAccuracy?.ToString("F4", CultureInfo.InvariantCulture)})" : "";
        var source = annotated ? $"{result.split} (dataset {result.dataset})" : $"{result.dataset}/{result.split}";
        return $"trained {result.method} student on {result.rows} rows of {source} ({result.labelRows} train the label, {result.rationaleRows} the rationale) for {result.steps} steps; final loss {result.finalLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"}{validation}; saved {result.model}";
    }

    /// <summary>Trains and saves; notices (rows --drop-unknown-labels skipped) go to <paramref name="notices"/>, by default stderr.</summary>
    internal static TrainResult Run(Settings settings, CancellationToken cancellationToken, TextWriter? notices = null)
    {
        notices ??= Console.Error;
        var requestedMethod = settings.Method is { } name ? CliTrainerOptions.ParseMethod("train", "--method", name) : (TrainingMethod?)null;
        CheckOptions(settings);
        CliThreads.Apply("train", settings.Threads);
        var dataset = CliDataset.OpenDataset("train", settings.Dataset, settings.DropUnknownLabels);
        var (source, allRows, droppedRows, explainsGold) = ReadTrainingRows(settings, dataset, notices);
        var rows = CliDataset.Sample("train", allRows, settings.Fraction ?? 1.0, settings.Seed);
        var method = requestedMethod ?? (rows.Any(r => r.TeacherLabel.Length > 0) ? TrainingMethod.StepByStepTeacher : TrainingMethod.StepByStepGold);
        CheckRationaleSource(method, source, explainsGold);
        var options = new MultiTaskSeq2SeqTrainerOptions().ForTask(dataset.Manifest.Family, dataset.Schema);
        options.Method = method;
        options.Student = settings.Student ?? options.Student;
        options.TokenizerPath = settings.Tokenizer;
        options.MaxSteps = settings.Epochs is null ? settings.Steps ?? 200 : 0;
        options.Epochs = settings.Epochs ?? 1;
        options.BatchSize = settings.BatchSize ?? 16;
        options.LearningRate = settings.LearningRate; // null: Options picks by student kind (from scratch or pretrained)
        options.Alpha = settings.Alpha ?? options.Alpha;
        options.MaxInputLength = settings.MaxInput ?? 128;
        options.MaxTargetLength = settings.MaxTarget ?? 64;
        options.Seed = settings.Seed;
        options.Device = settings.Device ?? "cpu";
        options.NumberOfThreads = settings.Threads;
        options.CheckpointFolder = settings.CheckpointDir;
        options.CheckpointEveryNSteps = settings.CheckpointEvery;
        options.Resume = settings.Resume;
        options.EvaluateEveryNSteps = settings.EvalEvery ?? 0;
        var reports = new List<TrainingProgress>();
        options.Progress = new SynchronousProgress<TrainingProgress>(reports.Add);
        var ml = new MLContext(settings.Seed);
        var train = AnnotatedSplit.ToDataView(ml, rows);
        if (settings.ValidationSplit is { } validationSplitName)
        {
            CliDataset.ReportDropped("train", dataset, validationSplitName, notices);
        }

        var validationRows = settings.ValidationSplit is { } validationSplit
            ? CliDataset.ReadRows("train", dataset, validationSplit, teacherName: "") // gold labels only: no teacher needed
            : null;
        var validation = validationRows is null ? null : AnnotatedSplit.ToDataView(ml, validationRows);
        Seq2SeqStudentTransformer student;
        TrainingRowCounts counts;
        try
        {
            counts = TrainingRowCounts.Count(train, options);
            CheckCounts(options, source, counts);
            student = ProgressBarTraining.Train(ml, options, train, validation, settings.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FileNotFoundException)
        {
            throw CliOptionErrors.For("train", ex);
        }

        // The saved model takes the dataset's raw rows, as a served model should: the paper's input format goes in front
        // (it needs only the raw columns, so no split is read for it).
        var raw = TaskDataset.ToDataView(Array.Empty<TaskExample>(), dataset.Schema);
        var model = new TransformerChain<ITransformer>(ml.StepDistill().Transforms.FormatStudentInput(dataset.Schema).Fit(raw), student);
        ModelFiles.Save("train", ml, model, raw.Schema, settings.Out!);
        var measured = reports.Where(r => r.ValidationAccuracy is not null).Select(r => r.ValidationAccuracy!.Value).ToArray();
        return new TrainResult(dataset.Manifest.Name, source, TrainingMethods.Name(method), rows.Count, droppedRows, counts.LabelRows, counts.RationaleRows,
            reports.Count, FirstStep(settings, reports), Finite(reports.LastOrDefault()?.Loss), Finite(reports.FirstOrDefault()?.Loss),
            validationRows?.Count, measured.Length > 0 ? measured[^1] : null, measured.Length > 0 ? measured.Max() : null, settings.Out!, student);
    }

    /// <summary>The first step this run trained: 1, or the step after the checkpoint it resumed from (also when that was the last step and none ran).</summary>
    private static int FirstStep(Settings settings, List<TrainingProgress> reports) =>
        reports.Count > 0 ? reports[0].Step
        : settings.Resume && settings.CheckpointDir is { } folder && TrainingCheckpoint.StepIn(folder) is { } step ? step + 1
        : 1;

    private static void CheckOptions(Settings settings)
    {
        void Require(bool ok, string problem)
        {
            if (!ok)
            {
                throw new UserFacingException($"train: {problem}");
            }
        }

        Require(settings.Annotated is null || settings.Split is null, "give --split (rows of the dataset) or --annotated (rows annotate --out wrote), not both");
        Require(settings.Annotated is null || settings.RecordedName is null, "--recorded-name chooses the teacher that annotates a split; an --annotated file already holds its teacher's work");
        Require(settings.Epochs is null || settings.Steps is null, "give --steps or --epochs, not both");
        Require(settings.Epochs is null or > 0, $"--epochs must be at least 1, got {settings.Epochs}");
        Require(settings.EvalEvery is null || settings.ValidationSplit is not null, "--eval-every needs --validation-split (the split to validate on)");
        Require(settings.EvalEvery is null or > 0, $"--eval-every must be at least 1, got {settings.EvalEvery}");
    }

    /// <summary>
    /// The rows to train on, where they came from (the split's name, or the annotated file), how many rows of the split
    /// --drop-unknown-labels skipped, and whether their rationales explain the gold labels (an --annotated file written
    /// with --rationales explain-gold).
    /// </summary>
    private static (string Source, IReadOnlyList<AnnotatedRow> Rows, int DroppedRows, bool ExplainsGold) ReadTrainingRows(Settings settings, TaskDataset dataset, TextWriter notices)
    {
        if (settings.Annotated is { } file)
        {
            var annotated = CliDataset.ReadAnnotated("train", file, dataset);
            var explainsGold = annotated.Rows.Count > 0 && annotated.Rows.All(r => r.Rationales == RationaleMode.ExplainGold);
            return (file, annotated.ToAnnotatedRows(), 0, explainsGold);
        }

        var split = settings.Split ?? dataset.Manifest.DefaultTrainSplit;
        var dropped = CliDataset.ReportDropped("train", dataset, split, notices);
        // A dataset with its own rationales uses them unless a recorded teacher is asked for by name.
        var teacher = settings.RecordedName ?? (dataset.Schema.RationaleField is null ? null : "");
        return (split, CliDataset.ReadRows("train", dataset, split, teacher), dropped.Count, false);
    }

    /// <summary>
    /// Keeps the method's name honest: step-by-step-explained trains on rationales that explain the gold labels (an
    /// --annotated file of annotate --rationales explain-gold), and such rationales are not the teacher's own for the
    /// other methods that learn rationales.
    /// </summary>
    private static void CheckRationaleSource(TrainingMethod method, string source, bool explainsGold)
    {
        if (method == TrainingMethod.StepByStepExplained && !explainsGold)
        {
            throw new UserFacingException(
                $"train: --method step-by-step-explained learns rationales that explain the gold labels, but the rationales of {source} were not written that way: " +
                "annotate with `stepdistill annotate --rationales explain-gold --out FILE`, then `train --annotated FILE --method step-by-step-explained`");
        }

        if (explainsGold && method != TrainingMethod.StepByStepExplained && TrainingMethods.Mode(method) != TrainingMode.Standard)
        {
            throw new UserFacingException(
                $"train: --method {TrainingMethods.Name(method)}: the rationales of {source} explain the gold labels (annotate --rationales explain-gold); " +
                "train them with --method step-by-step-explained");
        }
    }

    /// <summary>A run that would learn nothing it was asked to is an error, not a silent label-only (or empty) run.</summary>
    private static void CheckCounts(MultiTaskSeq2SeqTrainerOptions options, string source, TrainingRowCounts counts)
    {
        var method = options.Method;
        var labels = TrainingMethods.LabelSourceName(method);
        var mode = TrainingMethods.Mode(method);
        if (TrainingRowCounts.NeedsRationales(options) && counts.RationaleRows == 0)
        {
            var what = mode == TrainingMode.SingleTask ? $"both a {labels} label and a rationale" : "a rationale";
            throw new UserFacingException(
                $"train: --method {TrainingMethods.Name(method)} learns rationales, but none of the {counts.Rows} rows of {source} has {what}. " +
                "Rationales come from a teacher (the dataset's recorded teacher, --recorded-name NAME; or any teacher through " +
                "`stepdistill annotate --teacher recorded|openai --out FILE`, then `train --annotated FILE`), or from the dataset itself " +
                "(\"rationaleField\" in dataset.json). Or train --method fine-tuning (gold labels) or distillation (the teacher's).");
        }

        if (counts.LabelRows == 0 && (mode != TrainingMode.StepByStep || options.Alpha > 0))
        {
            var hint = labels == "teacher" ? $" (--method {TrainingMethods.Name(GoldLabelled(method))} learns the dataset's gold labels)" : " (the dataset's targetField gives gold labels)";
            throw new UserFacingException($"train: none of the {counts.Rows} rows of {source} has a {labels} label{hint}");
        }
    }

    /// <summary>The method that trains as <paramref name="method"/> does, on the gold labels.</summary>
    private static TrainingMethod GoldLabelled(TrainingMethod method) => TrainingMethods.Mode(method) switch
    {
        TrainingMode.Standard => TrainingMethod.FineTuning,
        _ => TrainingMethod.StepByStepGold,
    };

    /// <summary>JSON has no NaN or infinity: a diverged loss is reported as null.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

/// <summary>What train prints with --json.</summary>
/// <param name="steps">The steps this run trained.</param>
/// <param name="firstStep">The first of them: 1, or the step after the checkpoint a resumed run started from.</param>
/// <param name="finalLoss">The last step's loss; null when no step ran (a resume at the end) or the loss is not finite.</param>
/// <param name="split">The training split, or the --annotated file.</param>
/// <param name="rows">The rows trained on (after --fraction).</param>
/// <param name="droppedRows">Rows of the training split --drop-unknown-labels skipped (a gold label outside the label set).</param>
/// <param name="method">The method trained (its name; the default resolved).</param>
/// <param name="labelRows">Rows that trained the label task.</param>
/// <param name="rationaleRows">Rows that trained the rationale task (0 for fine-tuning and distillation).</param>
/// <param name="validationRows">Rows of --validation-split, or null without one.</param>
/// <param name="validationAccuracy">The last validation accuracy measured, or null.</param>
/// <param name="bestValidationAccuracy">The best validation accuracy measured (its weights are kept), or null.</param>
internal sealed record TrainResult(string dataset, string split, string method, int rows, int droppedRows, int labelRows, int rationaleRows, int steps, int firstStep,
    double? finalLoss, double? firstLoss, int? validationRows, double? validationAccuracy, double? bestValidationAccuracy, string model,
    [property: System.Text.Json.Serialization.JsonIgnore] Seq2SeqStudentTransformer Student);
