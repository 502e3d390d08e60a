using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Opening a dataset folder and reading (a sample of) an annotated split, with errors that name the option.</summary>
internal static class CliDataset
{
    /// <summary>The help text of <c>--drop-unknown-labels</c> (train, evaluate, annotate, experiment, sweep).</summary>
    public const string DropUnknownLabelsHelp =
        "Skip rows whose gold label is not in dataset.json's labels (multiple-choice: none of the row's choices) and say how many, instead of stopping at the first one.";

    /// <summary>Opens <paramref name="folder"/>; with <paramref name="dropUnknownLabels"/> its splits skip rows whose gold label is outside the label set.</summary>
    public static TaskDataset OpenDataset(string command, string? folder, bool dropUnknownLabels = false)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new UserFacingException($"{command}: --dataset is required (a folder holding dataset.json, e.g. datasets/cqa)");
        }

        try
        {
            return TaskDataset.Open(folder, new TaskReadOptions { DropUnknownLabels = dropUnknownLabels });
        }
        catch (Exception ex) when (ex is DatasetFormatException or ArgumentException or IOException)
        {
            throw new UserFacingException($"{command}: --dataset: {ex.Message}", ex);
        }
    }

    /// <summary>A split's rows; <paramref name="teacherName"/> as <see cref="AnnotatedSplit.Read"/> takes it (null: the first recorded teacher, "": none).</summary>
    public static IReadOnlyList<AnnotatedRow> ReadRows(string command, TaskDataset dataset, string split, string? teacherName = null)
    {
        try
        {
            return AnnotatedSplit.Read(new MLContext(), dataset, split, teacherName);
        }
        catch (Exception ex) when (ex is DatasetFormatException or ArgumentException or IOException or KeyNotFoundException)
        {
            throw new UserFacingException($"{command}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The rows of <paramref name="split"/> that <c>--drop-unknown-labels</c> skips (none unless the dataset was opened with
    /// it), after telling <paramref name="error"/> how many and which: one line, so a --json output stays one JSON object.
    /// </summary>
    public static IReadOnlyList<DroppedTaskRow> ReportDropped(string command, TaskDataset dataset, string split, TextWriter error)
    {
        if (!dataset.ReadOptions.DropUnknownLabels)
        {
            return [];
        }

        TaskRows rows;
        try
        {
            rows = dataset.ReadExamples(split);
        }
        catch (Exception ex) when (ex is DatasetFormatException or KeyNotFoundException)
        {
            throw new UserFacingException($"{command}: {ex.Message}", ex);
        }

        TellDropped(command, dataset, split, rows, error);
        return rows.DroppedRows;
    }

    /// <summary>One line on <paramref name="error"/> saying how many rows of the split --drop-unknown-labels skipped, and the first few; nothing when none.</summary>
    public static void TellDropped(string command, TaskDataset dataset, string split, TaskRows rows, TextWriter error)
    {
        if (rows.DroppedRows.Count > 0)
        {
            const int shown = 3;
            var which = string.Join(", ", rows.DroppedRows.Take(shown).Select(d => $"line {d.Line} \"{d.Label}\""));
            var more = rows.DroppedRows.Count > shown ? ", ..." : "";
            var why = dataset.Schema.Labels is null && dataset.Schema.HasChoices ? "whose gold answer is none of the row's choices" : "whose gold label is not in the label set";
            error.WriteLine($"{command}: --drop-unknown-labels dropped {rows.DroppedRows.Count} of the {rows.Count + rows.DroppedRows.Count} rows of split {split} " +
                $"({dataset.Manifest.SplitPath(split)}) {why}: {which}{more}");
        }
    }

    /// <summary>The annotated-rows file <paramref name="path"/> (the value of --annotated), read with <paramref name="dataset"/>'s schema.</summary>
    public static AnnotatedRowsFile ReadAnnotated(string command, string path, TaskDataset dataset)
    {
        try
        {
            return AnnotatedRowsFile.Read(path, dataset.Schema);
        }
        catch (DatasetFormatException ex)
        {
            throw new UserFacingException($"{command}: --annotated {ex.Message}", ex);
        }
    }

    /// <summary>A seeded, reproducible sample of <paramref name="fraction"/> of the rows (at least one).</summary>
    public static IReadOnlyList<AnnotatedRow> Sample(string command, IReadOnlyList<AnnotatedRow> rows, double fraction, int seed)
    {
        if (fraction is <= 0 or > 1)
        {
            throw new UserFacingException($"{command}: --fraction must be in (0, 1], got {fraction.ToString(CultureInfo.InvariantCulture)}");
        }

        var order = rows.ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(Math.Max(1, (int)Math.Round(fraction * rows.Count))).ToArray();
    }
}
