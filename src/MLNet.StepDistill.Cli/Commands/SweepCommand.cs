using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill sweep`: Model Builder-style: give it a time budget, get the best student. Random search over method,
/// alpha, learning rate, steps, batch and lengths; writes leaderboard.json, leaderboard.md and best-model.zip under --out.
/// </summary>
internal sealed class SweepCommand : Command<SweepCommand.Settings>
{
    /// <summary>The best model's file name under --out.</summary>
    public const string ModelFileName = "best-model.zip";

    internal sealed class Settings : TrainingRunSettings
    {
        /// <summary>The folder the sweep writes: --out, or sweep.</summary>
        internal string OutputFolder => Out ?? "sweep";

        /// <summary>The dataset folder: --dataset, or the experiment's default (datasets/esnli).</summary>
        internal string DatasetFolder => Dataset ?? new StepByStepExperimentOptions().DatasetFolder;

        [CommandOption("--time <SECONDS>")]
        [Description("Time budget for all trials; a trial still training at the end is stopped. Default 600.")]
        public double Time { get; set; } = 600;

        [CommandOption("--max-trials <N>")]
        [Description("The most trials. Default: as many as the time allows.")]
        public int? MaxTrials { get; set; }

        [CommandOption("--methods <LIST>")]
        [Description("Methods to search over: fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task. Default the first four.")]
        public string? Methods { get; set; }

        [CommandOption("--students <LIST>")]
        [Description("Students to search over, comma-separated presets or checkpoint folders. Default tiny.")]
        public string Students { get; set; } = "tiny";

        [CommandOption("--steps <MIN,MAX>")]
        [Description("Range of optimiser steps per trial (log-uniform). Default 20,200: short trials for short budgets; tiny learns e-SNLI only near 1000 steps (--steps 100,1000 --time 600).")]
        public string Steps { get; set; } = "20,200";

        [CommandOption("--lr <MIN,MAX>")]
        [Description("Range of learning rates (log-uniform). Default 2e-4,1.5e-3 (measured for presets from scratch).")]
        public string LearningRate { get; set; } = "2e-4,1.5e-3";

        [CommandOption("--tuner <NAME>")]
        [Description("random (default: every setting drawn at random) or halving (successive halving over the steps: short trials first, the best third trained three times longer).")]
        public string Tuner { get; set; } = "random";

        [CommandOption("--metric <NAME>")]
        [Description("accuracy or macro-accuracy, on the validation rows. Default accuracy.")]
        public string Metric { get; set; } = "accuracy";

        [CommandOption("--validation-fraction <F>")]
        [Description("Share of the training rows carved (seeded) for validation, at most --validation-rows. Default 0.2.")]
        public double ValidationFraction { get; set; } = 0.2;

        [CommandOption("--validation-rows <N>")]
        [Description("The most validation rows. Default 300.")]
        public int ValidationRows { get; set; } = 300;

        [CommandOption("--test-rows <N>")]
        [Description("Also report accuracy on the first N rows of the test split (0: none). Default 200.")]
        public int TestRows { get; set; } = 200;

        [CommandOption("--seed <N>")]
        [Description("Seed of the settings drawn, the validation carve and the trials. Default 0.")]
        public int Seed { get; set; }

        [CommandOption("--parallel <N>")]
        [Description("Trials trained side by side, each on its own thread and random generator (halving: the trials of a rung). Default: the cores / torch threads per run (1), so 2 on two cores.")]
        public int? Parallel { get; set; }
    }

    private readonly TextWriter output;

    public SweepCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal SweepCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Time <= 0)
        {
            throw new UserFacingException($"sweep: --time must be positive, got {settings.Time.ToString(CultureInfo.InvariantCulture)}");
        }

        if (settings.Parallel is <= 0)
        {
            throw new UserFacingException($"sweep: --parallel must be a positive number of trials side by side, got {settings.Parallel}");
        }

        var space = new SweepSearchSpace
        {
            Students = List(settings.Students, "--students", s => s),
            Steps = Range(settings.Steps, "--steps", v => (int)v),
            LearningRate = Range(settings.LearningRate, "--lr", v => v),
        };
        if (settings.Methods is not null)
        {
            space.Methods = List(settings.Methods, "--methods", m => CliTrainerOptions.ParseMethod("sweep", "--methods", m));
        }

        var metric = settings.Metric.ToLowerInvariant() switch
        {
            "accuracy" => SweepMetric.Accuracy,
            "macro-accuracy" => SweepMetric.MacroAccuracy,
            _ => throw new UserFacingException($"sweep: --metric \"{settings.Metric}\" is not one of accuracy, macro-accuracy"),
        };
        if (settings.Annotated is not null && settings.Split is not null)
        {
            throw new UserFacingException("sweep: give --split (rows of the dataset) or --annotated (rows annotate --out wrote), not both");
        }

        var dataset = CliDataset.OpenDataset("sweep", settings.DatasetFolder, settings.DropUnknownLabels);
        if (settings.TestRows > 0)
        {
            CliDataset.ReportDropped("sweep", dataset, "test", Console.Error);
        }

        IReadOnlyList<AnnotatedRow> train;
        if (settings.Annotated is { } annotated)
        {
            train = CliDataset.ReadAnnotated("sweep", annotated, dataset).ToAnnotatedRows();
        }
        else
        {
            var split = settings.Split ?? dataset.Manifest.DefaultTrainSplit;
            CliDataset.ReportDropped("sweep", dataset, split, Console.Error);
            train = CliDataset.ReadRows("sweep", dataset, split);
        }
        var test = settings.TestRows > 0 ? CliDataset.ReadRows("sweep", dataset, "test").Take(settings.TestRows).ToArray() : null;
        Directory.CreateDirectory(settings.OutputFolder);
        var ml = new MLContext(settings.Seed);
        SweepResult result;
        try
        {
            var options = new StudentSweepOptions
            {
                TrainingTimeSeconds = settings.Time,
                MaxTrials = settings.MaxTrials,
                SearchSpace = space,
                ValidationFraction = settings.ValidationFraction,
                MaxValidationRows = settings.ValidationRows,
                TestData = test,
                Metric = metric,
                Seed = settings.Seed,
                Parallel = settings.Parallel,
                Trainer = { Device = settings.Device ?? "cpu" },
                Tuner = settings.Tuner.ToLowerInvariant() switch
                {
                    "random" => SweepTuner.Random,
                    "halving" or "successive-halving" => SweepTuner.SuccessiveHalving,
                    _ => throw new UserFacingException($"sweep: --tuner \"{settings.Tuner}\" is not one of random, halving"),
                },
                Progress = new SynchronousProgress<SweepProgress>(p => Report(p, settings.Json)),
            };
            var sweep = ml.StepDistill().CreateSweep(dataset, train, options);
            result = sweep.Run(cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or DatasetFormatException or IOException)
        {
            throw new UserFacingException($"sweep: {ex.Message}");
        }

        using (result)
        {
            var modelPath = Path.Combine(settings.OutputFolder, ModelFileName);
            ModelFiles.Save("sweep", ml, result.BestModel, result.InputSchema, modelPath);
            ExperimentResultsFile.WriteText(Path.Combine(settings.OutputFolder, "leaderboard.json"), result.ToJson(modelPath));
            ExperimentResultsFile.WriteText(Path.Combine(settings.OutputFolder, "leaderboard.md"), result.ToMarkdown());
            if (settings.Json)
            {
                output.WriteLine(result.ToJson(modelPath));
                return 0;
            }

            output.WriteLine();
            output.Write(result.ToMarkdown());
            output.WriteLine();
            if (result.PeakMemoryBytes > 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Peak memory of the {result.Parallel} trial(s) side by side: {result.PeakMemoryBytes / (1024.0 * 1024 * 1024):F2} GiB."));
            }

            var best = result.BestTrial;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Best: trial {best.Number}, {TrainingMethods.Name(best.Settings.Method)}, validation {result.Metric} {best.ValidationMetric:F3}; saved to {modelPath} (stepdistill evaluate --model {modelPath} --dataset {settings.DatasetFolder})."));
            return 0;
        }
    }

    private static void Report(SweepProgress p, bool quiet)
    {
        if (quiet)
        {
            return;
        }

        var s = p.Settings;
        if (p.IsStart)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trial {p.Trial}: {TrainingMethods.Name(s.Method)}, {s.Student}, alpha {s.Alpha:0.00}, lr {s.LearningRate:0.0e0}, {s.Steps} steps of {s.BatchSize}, input {s.MaxInputLength}"));
        }
        else if (p.Step is { } step && step.Step % Math.Max(1, step.TotalSteps / 4) == 0)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trial {p.Trial}: step {step.Step}/{step.TotalSteps} loss {step.Loss:F3}"));
        }
        else if (p.Finished is { } t)
        {
            var validation = t.ValidationMetric is { } v ? string.Create(CultureInfo.InvariantCulture, $", validation {v:F3}") : "";
            Console.Error.WriteLine($"trial {p.Trial}: {t.Status}{validation}" + string.Create(CultureInfo.InvariantCulture, $" in {t.Seconds:F0} s"));
        }
    }

    private static T[] List<T>(string text, string flag, Func<string, T> parse)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length == 0 ? throw new UserFacingException($"sweep: {flag} is empty") : items.Select(parse).ToArray();
    }

    private static (T Min, T Max) Range<T>(string text, string flag, Func<double, T> convert)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var min)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var max) || min <= 0 || min > max)
        {
            throw new UserFacingException($"sweep: {flag} \"{text}\" must be MIN,MAX with 0 < MIN <= MAX");
        }

        return (convert(min), convert(max));
    }
}
