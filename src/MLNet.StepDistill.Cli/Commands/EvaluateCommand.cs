using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill evaluate`: accuracy of a saved model on a dataset split.</summary>
internal sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--model <FILE>")]
        [Description("A model zip written by train (or SaveModel), or a folder written by export-onnx (served by ONNX Runtime).")]
        public string? Model { get; set; }

        [CommandOption("--dataset <FOLDER>")]
        [Description("Dataset folder holding dataset.json.")]
        public string? Dataset { get; set; }

        [CommandOption("--split <NAME>")]
        [DefaultValue("test")]
        [Description("Split to evaluate on.")]
        public string Split { get; set; } = "test";

        [CommandOption("--limit <N>")]
        [Description("Evaluate only the first N rows (N >= 1).")]
        public int? Limit { get; set; }

        [CommandOption("--json")]
        [Description("Print one JSON object (accuracy, ...).")]
        public bool Json { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }
    }

    private readonly TextWriter output;

    public EvaluateCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal EvaluateCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Model) || !(File.Exists(settings.Model) || Directory.Exists(settings.Model)))
        {
            throw new UserFacingException($"evaluate: --model must name an existing model zip or exported ONNX folder (got \"{settings.Model}\")");
        }

        if (settings.Limit is < 1)
        {
            throw new UserFacingException($"evaluate: --limit must be at least 1 (got {settings.Limit})");
        }

        CliThreads.Apply("evaluate", settings.Threads);
        var dataset = CliDataset.OpenDataset("evaluate", settings.Dataset);
        var rows = CliDataset.ReadRows("evaluate", dataset, settings.Split);
        if (settings.Limit is { } limit)
        {
            rows = rows.Take(limit).ToArray();
        }

        var ml = new MLContext(0);
        using var student = ServedStudent.Load("evaluate", ml, settings.Model);
        var summary = StudentEvaluation.Evaluate(ml, student, dataset, rows);
        Print(summary, dataset.Manifest.Name, settings.Split, settings.Json);
        return 0;
    }

    internal void Print(EvaluationSummary summary, string dataset, string split, bool json)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                dataset,
                split,
                rows = summary.Rows,
                scoredRows = summary.ScoredRows,
                accuracy = summary.Accuracy,
                exactMatch = summary.ExactMatch,
                equationAccuracy = summary.EquationAccuracy,
                macroAccuracy = summary.MacroAccuracy,
                logLoss = summary.LogLoss,
            }));
            return;
        }

        static string F(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
        output.WriteLine($"dataset {dataset}, split {split}, {summary.Rows} rows");
        output.WriteLine($"scored rows     {summary.ScoredRows} (rows whose gold label the model's classes can express)");
        output.WriteLine($"accuracy        {F(summary.Accuracy)}");
        if (summary.EquationAccuracy is not null)
        {
            output.WriteLine($"exact match     {F(summary.ExactMatch)}");
        }

        if (summary.LogLoss is not null)
        {
            output.WriteLine($"macro accuracy  {F(summary.MacroAccuracy)}");
            output.WriteLine($"log-loss        {F(summary.LogLoss)}");
        }
    }
}
