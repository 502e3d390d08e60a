using Microsoft.ML;
using System.Globalization;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Opening a dataset folder and reading (a sample of) an annotated split, with errors that name the option.</summary>
internal static class CliDataset
{
    public static TaskDataset OpenDataset(string command, string? folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new UserFacingException($"{command}: --dataset is required (a folder holding dataset.json, e.g. datasets/cqa)");
        }

        try
        {
            return TaskDataset.Open(folder);
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
