using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Training;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill distill`: the whole experiment on shipped data, CPU-sized: recorded-teacher annotations, a tiny student
/// trained step-by-step on a fraction of the training split, evaluation on the test split, a summary.
/// </summary>
internal sealed class DistillCommand : Command<DistillCommand.Settings>
{
    internal sealed class Settings : TrainCommand.Settings
    {
        [CommandOption("--test-split <NAME>")]
        [DefaultValue("test")]
        [Description("Split to evaluate on.")]
        public string TestSplit { get; set; } = "test";

        [CommandOption("--test-limit <N>")]
        [DefaultValue(200)]
        [Description("Evaluate on the first N test rows (0: all).")]
        public int TestLimit { get; set; } = 200;

        /// <summary>The CPU-sized defaults of the whole experiment, where the user gave none.</summary>
        public void ApplyDefaults()
        {
            Dataset ??= "datasets/cqa";
            Fraction ??= 0.1;
            Steps ??= 100;
            BatchSize ??= 8;
            MaxInput ??= 96;
            MaxTarget ??= 32;
            Out ??= "distilled-model.zip";
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        settings.ApplyDefaults();
        var trained = TrainCommand.Run(settings, cancellationToken);
        var dataset = StudentExperiment.OpenDataset("distill", settings.Dataset);
        var rows = StudentExperiment.ReadRows("distill", dataset, settings.TestSplit);
        if (settings.TestLimit > 0)
        {
            rows = rows.Take(settings.TestLimit).ToArray();
        }

        var ml = new MLContext(settings.Seed);
        var summary = StudentExperiment.Evaluate(ml, trained.Student, trained.Student, dataset, rows);
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                dataset = trained.dataset,
                mode = trained.mode,
                labels = trained.labels,
                student = settings.Student,
                trainRows = trained.rows,
                steps = trained.steps,
                firstLoss = trained.firstLoss,
                finalLoss = trained.finalLoss,
                testSplit = settings.TestSplit,
                testRows = summary.Rows,
                accuracy = summary.Accuracy,
                macroAccuracy = summary.MacroAccuracy,
                logLoss = summary.LogLoss,
                equationAccuracy = summary.EquationAccuracy,
                model = trained.model,
                seconds,
            }));
            return 0;
        }

        static string F(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine();
        Console.WriteLine($"Distilling step-by-step: {trained.dataset}, {settings.Student} student, {trained.mode} mode, {trained.labels} labels");
        Console.WriteLine($"  train      {trained.rows} rows ({settings.Fraction!.Value.ToString(CultureInfo.InvariantCulture)} of {trained.split}), {trained.steps} steps, loss {F(trained.firstLoss)} -> {F(trained.finalLoss)}");
        Console.WriteLine($"  test       {summary.Rows} rows of {settings.TestSplit}: accuracy {F(summary.Accuracy)}" +
                          (summary.LogLoss is { } l ? $", macro accuracy {F(summary.MacroAccuracy)}, log-loss {F(l)}" : ""));
        Console.WriteLine($"  model      {trained.model}");
        Console.WriteLine($"  time       {seconds.ToString("F0", CultureInfo.InvariantCulture)} s");
        return 0;
    }
}
