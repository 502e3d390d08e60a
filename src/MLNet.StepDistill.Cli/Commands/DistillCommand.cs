using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill distill`: the whole Distilling Step-by-Step experiment on shipped data, CPU-sized. It parses options into a
/// <see cref="DistillationExperiment"/>, shows progress, prints the <see cref="ResultTable"/> and saves the best student.
/// </summary>
internal sealed class DistillCommand : Command<DistillCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        private static readonly DistillationExperiment.Options Defaults = new();

        [CommandOption("--dataset <FOLDER>")]
        [Description("Dataset folder holding dataset.json. Default datasets/esnli (a from-scratch student learns its lexical cues on CPU; cqa needs world knowledge).")]
        public string Dataset { get; set; } = Defaults.DatasetFolder;

        [CommandOption("--split <NAME>")]
        [Description("Training pool (default: train, or valid where the dataset has no train split: anli1, esnli).")]
        public string? Split { get; set; }

        [CommandOption("--test-split <NAME>")]
        [Description("Split to evaluate on. Default test.")]
        public string TestSplit { get; set; } = Defaults.TestSplit;

        [CommandOption("--rows <N>")]
        [Description("Train on N rows of the pool (a seeded sample). Default 0: all of it (--fraction 1).")]
        public int Rows { get; set; } = Defaults.TrainRows;

        [CommandOption("--fraction <F>")]
        [Description("Share of the pool to train on, in (0, 1]]; overrides --rows.")]
        public double? Fraction { get; set; }

        [CommandOption("--test-rows <N>")]
        [Description("Evaluate on the first N rows of the test split (0: all). Default 200.")]
        public int TestRows { get; set; } = Defaults.TestRows;

        [CommandOption("--modes <LIST>")]
        [Description("Students to train with the same budget, comma-separated: step-by-step, standard, single-task. Default step-by-step,standard.")]
        public string Modes { get; set; } = "step-by-step,standard";

        [CommandOption("--labels <SOURCE>")]
        [Description("gold | teacher: which labels the label task learns. Default teacher.")]
        public string Labels { get; set; } = "teacher";

        [CommandOption("--student <PRESET_OR_FOLDER>")]
        [Description("A T5 preset trained from scratch (tiny, t5-small, ...) or a Hugging Face checkpoint folder. Default tiny.")]
        public string Student { get; set; } = Defaults.Student;

        [CommandOption("--tokenizer <FILE>")]
        [Description("spiece.model for a preset (default: datasets/tokenizer/spiece.model).")]
        public string? Tokenizer { get; set; }

        [CommandOption("--steps <N>")]
        [Description("Optimiser steps of each student. Default 1000.")]
        public int Steps { get; set; } = Defaults.Steps;

        [CommandOption("--batch-size <N>")]
        [Description("Rows per step. Default 16.")]
        public int BatchSize { get; set; } = Defaults.BatchSize;

        [CommandOption("--lr <RATE>")]
        [Description("Learning rate (default 1e-3 for presets from scratch, 5e-5 for checkpoints).")]
        public double? LearningRate { get; set; }

        [CommandOption("--warmup <N>")]
        [Description("Linear warm-up steps (default: a tenth of --steps).")]
        public int? Warmup { get; set; }

        [CommandOption("--alpha <A>")]
        [Description("Label-loss weight in step-by-step mode. Default 0.5.")]
        public float Alpha { get; set; } = Defaults.Alpha;

        [CommandOption("--max-input <N>")]
        [Description("Most input tokens. Default 96.")]
        public int MaxInput { get; set; } = Defaults.MaxInputLength;

        [CommandOption("--max-target <N>")]
        [Description("Most target tokens (labels, rationales). Default 32.")]
        public int MaxTarget { get; set; } = Defaults.MaxTargetLength;

        [CommandOption("--seed <N>")]
        [Description("Seed of the training sample, weights, dropout and batch order. Default 0.")]
        public int Seed { get; set; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda, cuda:N or auto. Default cpu.")]
        public string Device { get; set; } = Defaults.Device;

        [CommandOption("--out <FILE>")]
        [Description("The model zip of the best student. Default distilled-model.zip.")]
        public string Out { get; set; } = "distilled-model.zip";

        [CommandOption("--json")]
        [Description("Print the results as JSON instead of progress and a table.")]
        public bool Json { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }

        public DistillationExperiment.Options ToOptions() => new()
        {
            DatasetFolder = Dataset,
            TrainSplit = Split,
            TestSplit = TestSplit,
            TrainRows = Fraction is null ? Rows : 0,
            TrainFraction = Fraction ?? 1.0,
            TestRows = TestRows,
            Modes = Modes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => CliTrainerOptions.ParseMode(m, "--modes")).ToArray(),
            LabelSource = CliTrainerOptions.ParseLabels(Labels),
            Student = Student,
            TokenizerPath = Tokenizer,
            Steps = Steps,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            WarmupSteps = Warmup,
            Alpha = Alpha,
            MaxInputLength = MaxInput,
            MaxTargetLength = MaxTarget,
            Seed = Seed,
            Device = Device,
        };
    }

    private readonly TextWriter output;

    public DistillCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal DistillCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var options = settings.ToOptions();
        ModelFiles.CheckOutputFolder("distill", settings.Out);
        CliThreads.Apply("distill", settings.Threads);
        var ml = new MLContext(settings.Seed);
        ExperimentReport report;
        try
        {
            var experiment = new DistillationExperiment(ml, options);
            report = settings.Json ? experiment.Run(cancellationToken) : WithProgress(experiment, options, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or DatasetFormatException or IOException or KeyNotFoundException or InvalidDataException)
        {
            throw CliOptionErrors.For("distill", ex);
        }

        using (report)
        {
            if (report.BestStudent is { } best)
            {
                ModelFiles.Save("distill", ml, best, report.InputSchema, settings.Out);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            if (settings.Json)
            {
                output.WriteLine(ResultTable.ToJson(report, report.BestStudent is null ? null : settings.Out, seconds));
                return 0;
            }

            var trained = report.Results.Count > 1 ? report.Results[1] : report.Results[0];
            output.WriteLine();
            output.WriteLine($"Distilling step-by-step on {report.Dataset}: {settings.Student} student trained from " +
                              (Directory.Exists(settings.Student) ? "a checkpoint" : "scratch") +
                              $", {trained.LabelSource} labels, recorded teacher rationales.");
            output.WriteLine($"  train  {trained.TrainRows} of {report.PoolRows} rows of {report.TrainSplit}" +
                              (report.TrainSplit == "valid" ? $" ({report.Dataset} ships no train inputs: valid used as the training pool)" : ""));
            output.WriteLine($"  test   the first {report.Results[0].TestRows} of {report.TestSplitRows} rows of {report.TestSplit}");
            output.WriteLine();
            output.Write(ResultTable.Format(report.Results));
            output.WriteLine();
            if (report.Best is { } bestRow)
            {
                var baseline = report.Results[0].Accuracy;
                output.WriteLine($"Best: {bestRow.Model}, accuracy {Invariant(bestRow.Accuracy)} against the majority-class baseline's {Invariant(baseline)} " +
                                  (bestRow.Accuracy > baseline ? "(above it)" : "(not above it)") + $"; saved to {settings.Out}.");
            }

            output.WriteLine($"Total time {clock.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s.");
            return 0;
        }
    }

    private static string Invariant(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>A progress bar per student on a terminal; a line every tenth of the steps when output is redirected.</summary>
    private static ExperimentReport WithProgress(DistillationExperiment experiment, DistillationExperiment.Options options, CancellationToken cancellationToken)
    {
        static string Describe(ExperimentProgress p) =>
            $"{p.Run}/{p.RunCount} {DistillationExperiment.ModeName(p.Mode)}: step {p.Step.Step}/{p.Step.TotalSteps} loss {p.Step.Loss.ToString("F3", CultureInfo.InvariantCulture)}";

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            options.Progress = new SyncProgress(p =>
            {
                if (p.Step.Step == 1 || p.Step.Step == p.Step.TotalSteps || p.Step.Step % Math.Max(1, p.Step.TotalSteps / 10) == 0)
                {
                    Console.Error.WriteLine(Describe(p));
                }
            });
            return experiment.Run(cancellationToken);
        }

        ExperimentReport? report = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = options.Modes.Select(m => context.AddTask(DistillationExperiment.ModeName(m), maxValue: options.Steps)).ToArray();
                options.Progress = new SyncProgress(p =>
                {
                    var task = tasks[p.Run - 1];
                    task.MaxValue = p.Step.TotalSteps;
                    task.Value = p.Step.Step;
                    task.Description = Describe(p);
                });
                report = experiment.Run(cancellationToken);
            });
        return report!;
    }

    private sealed class SyncProgress(Action<ExperimentProgress> report) : IProgress<ExperimentProgress>
    {
        public void Report(ExperimentProgress value) => report(value);
    }
}
