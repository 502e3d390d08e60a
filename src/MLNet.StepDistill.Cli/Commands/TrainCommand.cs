using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Training;
using MLNet.StepDistill.Recipes;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill train`: trains a student on a dataset split annotated by its recorded teacher and saves the model zip.</summary>
internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    internal class Settings : CommandSettings
    {
        [CommandOption("--dataset <FOLDER>")]
        [Description("Dataset folder holding dataset.json (e.g. datasets/cqa).")]
        public string? Dataset { get; set; }

        [CommandOption("--split <NAME>")]
        [Description("Training split (default: train, or valid where the dataset has no train split).")]
        public string? Split { get; set; }

        [CommandOption("--mode <MODE>")]
        [Description("standard | step-by-step | single-task.")]
        [DefaultValue("step-by-step")]
        public string Mode { get; set; } = "step-by-step";

        [CommandOption("--labels <SOURCE>")]
        [Description("gold | teacher: which labels the label task learns.")]
        [DefaultValue("teacher")]
        public string Labels { get; set; } = "teacher";

        [CommandOption("--student <PRESET_OR_FOLDER>")]
        [Description("A T5 preset trained from scratch (tiny, t5-small, ...) or a Hugging Face checkpoint folder.")]
        [DefaultValue("tiny")]
        public string Student { get; set; } = "tiny";

        [CommandOption("--tokenizer <FILE>")]
        [Description("spiece.model for a preset (default: datasets/tokenizer/spiece.model).")]
        public string? Tokenizer { get; set; }

        [CommandOption("--fraction <F>")]
        [Description("Share of the training rows to use, in (0, 1]] (a seeded sample). Default 1.")]
        public double? Fraction { get; set; }

        [CommandOption("--steps <N>")]
        [Description("Optimiser steps. Default 200.")]
        public int? Steps { get; set; }

        [CommandOption("--batch-size <N>")]
        [Description("Rows per step. Default 16.")]
        public int? BatchSize { get; set; }

        [CommandOption("--lr <RATE>")]
        [Description("Learning rate (default 1e-3 for presets from scratch, 5e-5 for checkpoints).")]
        public double? LearningRate { get; set; }

        [CommandOption("--alpha <A>")]
        [DefaultValue(0.5f)]
        [Description("Label-loss weight in step-by-step mode.")]
        public float Alpha { get; set; } = 0.5f;

        [CommandOption("--max-input <N>")]
        [Description("Most input tokens. Default 128.")]
        public int? MaxInput { get; set; }

        [CommandOption("--max-target <N>")]
        [Description("Most target tokens (labels, rationales, generated text). Default 64.")]
        public int? MaxTarget { get; set; }

        [CommandOption("--seed <N>")]
        [DefaultValue(0)]
        [Description("Seed of weights, dropout, batch order and the --fraction sample.")]
        public int Seed { get; set; }

        [CommandOption("--device <DEVICE>")]
        [DefaultValue("cpu")]
        [Description("cpu, cuda, cuda:N or auto.")]
        public string Device { get; set; } = "cpu";

        [CommandOption("--checkpoint-dir <FOLDER>")]
        [Description("Write checkpoints here (every --checkpoint-every steps), atomically.")]
        public string? CheckpointDir { get; set; }

        [CommandOption("--checkpoint-every <N>")]
        [Description("Steps between checkpoints. Default 50.")]
        public int CheckpointEvery { get; set; } = 50;

        [CommandOption("--resume")]
        [Description("Continue from the checkpoint in --checkpoint-dir.")]
        public bool Resume { get; set; }

        [CommandOption("--out <FILE>")]
        [Description("The model zip to write.")]
        public string? Out { get; set; }

        [CommandOption("--json")]
        [Description("Print a JSON summary instead of a progress bar and text.")]
        public bool Json { get; set; }
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
            output.WriteLine($"trained {result.mode} student on {result.rows} rows of {result.dataset}/{result.split} for {result.steps} steps; final loss {result.finalLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-"}; saved {result.model}");
        }

        return 0;
    }

    internal static TrainResult Run(Settings settings, CancellationToken cancellationToken)
    {
        var mode = CliTrainerOptions.ParseMode(settings.Mode);
        var labelSource = CliTrainerOptions.ParseLabels(settings.Labels);
        var dataset = CliDataset.OpenDataset("train", settings.Dataset);
        var split = settings.Split ?? (dataset.Manifest.Splits.ContainsKey("train") ? "train" : "valid");
        var rows = CliDataset.Sample("train", CliDataset.ReadRows("train", dataset, split), settings.Fraction ?? 1.0, settings.Seed);
        var options = CliTrainerOptions.OptionsFor(dataset);
        options.Mode = mode;
        options.LabelSource = labelSource;
        options.Student = settings.Student;
        options.TokenizerPath = settings.Tokenizer;
        options.MaxSteps = settings.Steps ?? 200;
        options.BatchSize = settings.BatchSize ?? 16;
        options.LearningRate = settings.LearningRate; // null: Options picks by student kind (from scratch or pretrained)
        options.Alpha = settings.Alpha;
        options.MaxInputLength = settings.MaxInput ?? 128;
        options.MaxTargetLength = settings.MaxTarget ?? 64;
        options.Seed = settings.Seed;
        options.Device = settings.Device;
        options.CheckpointFolder = settings.CheckpointDir;
        options.CheckpointEveryNSteps = settings.CheckpointEvery;
        options.Resume = settings.Resume;
        var reports = new List<TrainingProgress>();
        options.Progress = new ProgressRecorder(reports);
        var ml = new MLContext(settings.Seed);
        var train = AnnotatedSplit.ToDataView(ml, rows);
        Seq2SeqStudentTransformer student;
        try
        {
            student = ProgressBarTraining.Train(ml, options, train, settings.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FileNotFoundException)
        {
            throw CliOptionErrors.For("train", ex);
        }

        ModelFiles.Save("train", ml, student, train.Schema, settings.Out!);
        return new TrainResult(dataset.Manifest.Name, split, settings.Mode, settings.Labels, rows.Count, reports.Count,
            reports.Count > 0 ? reports[0].Step : 0, Finite(reports.LastOrDefault()?.Loss), Finite(reports.FirstOrDefault()?.Loss), settings.Out!, student);
    }

    /// <summary>JSON has no NaN or infinity: a diverged loss is reported as null.</summary>
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>Keeps every report, synchronously (System.Progress would post to the thread pool).</summary>
    private sealed class ProgressRecorder(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }
}

/// <summary>What train prints with --json.</summary>
/// <param name="steps">The steps this run trained.</param>
/// <param name="firstStep">The first of them: 1, or the step after the checkpoint a resumed run started from.</param>
/// <param name="finalLoss">The last step's loss; null when no step ran (a resume at the end) or the loss is not finite.</param>
internal sealed record TrainResult(string dataset, string split, string mode, string labels, int rows, int steps, int firstStep, double? finalLoss, double? firstLoss, string model,
    [property: System.Text.Json.Serialization.JsonIgnore] Seq2SeqStudentTransformer Student);
