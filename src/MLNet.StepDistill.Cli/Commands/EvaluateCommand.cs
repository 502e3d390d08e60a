using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill evaluate`: accuracy of a saved model on a dataset split.</summary>
internal sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    internal sealed class Settings : LabelledDatasetSettings
    {
        /// <summary>The split evaluated: --split, or test.</summary>
        internal string EvaluatedSplit => Split ?? "test";

        [CommandOption("--model <FILE>")]
        [Description("A model zip written by train (or SaveModel), or a folder written by export-onnx (served by ONNX Runtime).")]
        public string? Model { get; set; }

        [CommandOption("--limit <N>")]
        [Description("Evaluate only the first N rows (N >= 1).")]
        public int? Limit { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }
    }

    private readonly TextWriter output;
    private readonly TextWriter error;

    public EvaluateCommand()
        : this(Console.Out, Console.Error)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/>, and notices (rows dropped) to <paramref name="error"/> (tests capture them).</summary>
    internal EvaluateCommand(TextWriter output, TextWriter? error = null)
    {
        this.output = output;
        this.error = error ?? Console.Error;
    }

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
        var dataset = CliDataset.OpenDataset("evaluate", settings.Dataset, settings.DropUnknownLabels);
        var dropped = CliDataset.ReportDropped("evaluate", dataset, settings.EvaluatedSplit, error);
        var rows = CliDataset.ReadRows("evaluate", dataset, settings.EvaluatedSplit);
        if (settings.Limit is { } limit)
        {
            rows = rows.Take(limit).ToArray();
        }

        var ml = new MLContext(0);
        using var loaded = ModelFiles.LoadServed("evaluate", settings.Model);
        var summary = StudentEvaluation.Evaluate(ml, loaded.Student, dataset, rows);
        Print(summary, dataset.Manifest.Name, settings.EvaluatedSplit, settings.Json, dropped.Count);
        return 0;
    }

    internal void Print(EvaluationSummary summary, string dataset, string split, bool json, int droppedRows = 0)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                dataset,
                split,
                rows = summary.Rows,
                droppedRows,
                scoredRows = summary.ScoredRows,
                accuracy = summary.Accuracy,
                exactMatch = summary.ExactMatch,
                equationAccuracy = summary.EquationAccuracy,
                macroAccuracy = summary.MacroAccuracy,
                logLoss = summary.LogLoss,
                classes = summary.Classes.Select(c => new { name = c.Name, rows = c.Rows, predicted = c.Predicted, precision = c.Precision, recall = c.Recall }),
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

        if (summary.Classes.Count > 0)
        {
            // The model's class order: its Score slots and PredictedLabel keys (a trained dataset's labels in dataset.json's order).
            var width = Math.Max(5, summary.Classes.Max(c => c.Name.Length));
            output.WriteLine($"{"class".PadRight(width)}  {"rows",6}  {"predicted",9}  {"precision",9}  {"recall",9}");
            foreach (var c in summary.Classes)
            {
                output.WriteLine($"{c.Name.PadRight(width)}  {c.Rows,6}  {c.Predicted,9}  {F(c.Precision),9}  {F(c.Recall),9}");
            }
        }
    }
}
