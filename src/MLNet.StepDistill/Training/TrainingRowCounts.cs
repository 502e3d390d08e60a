using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// How many rows of some training data teach the student what, under a set of trainer options: the rows read, those
/// that train the label task and those that train the rationale task (single-task mode: both are the rows with a label
/// and a rationale, which it joins into one target).
/// </summary>
/// <param name="Rows">Rows in the data.</param>
/// <param name="LabelRows">Rows that train the label task (with a label; none when alpha is 0 in step-by-step mode).</param>
/// <param name="RationaleRows">Rows that train the rationale task (with a usable rationale; none in standard mode or when alpha is 1).</param>
public sealed record TrainingRowCounts(int Rows, int LabelRows, int RationaleRows)
{
    /// <summary>Counts the rows of <paramref name="data"/> as <see cref="MultiTaskSeq2SeqTrainer"/> reads them with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">A column the options name is missing or has the wrong type.</exception>
    public static TrainingRowCounts Count(IDataView data, MultiTaskSeq2SeqTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        return Of(TrainingRowReader.Read(data, options), options);
    }

    /// <summary>Whether the options' mode learns rationales: single-task, or step-by-step with alpha below 1.</summary>
    public static bool NeedsRationales(MultiTaskSeq2SeqTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Mode == TrainingMode.SingleTask || (options.Mode == TrainingMode.StepByStep && options.Alpha < 1);
    }

    internal static TrainingRowCounts Of(IReadOnlyList<TrainingRow> rows, MultiTaskSeq2SeqTrainerOptions options)
    {
        var joined = rows.Count(r => r.Label is not null && r.Rationale is not null);
        return options.Mode switch
        {
            TrainingMode.Standard => new(rows.Count, rows.Count(r => r.Label is not null), 0),
            TrainingMode.SingleTask => new(rows.Count, joined, joined),
            _ => new(
                rows.Count,
                options.Alpha > 0 ? rows.Count(r => r.Label is not null) : 0,
                options.Alpha < 1 ? rows.Count(r => r.Rationale is not null) : 0),
        };
    }

    /// <summary>Throws when the mode learns rationales and no row has one: a label-only run would be a silent surprise.</summary>
    internal void ThrowIfNoRationales(MultiTaskSeq2SeqTrainerOptions options)
    {
        if (RationaleRows > 0 || !NeedsRationales(options))
        {
            return;
        }

        var what = options.Mode == TrainingMode.SingleTask ? "both a label and a rationale" : "a rationale";
        var problem = string.Create(CultureInfo.InvariantCulture,
            $"MultiTaskSeq2SeqTrainerOptions.{nameof(options.RationaleColumnName)}: {TrainingMethods.Name(options.Method)} learns rationales, but none of the {Rows} rows has {what} in column \"{options.RationaleColumnName}\"");
        throw new ArgumentException(problem +
            $" (a row whose \"{options.AnnotationStatusColumnName}\" is not \"{options.OkAnnotationStatus}\" counts as none). " +
            "Rationales come from a teacher (mlContext.StepDistill().AnnotateRationales), or from the dataset itself " +
            "(\"rationaleField\" in dataset.json, TaskSchema.RationaleField); or train with Method = FineTuning or Distillation.");
    }
}
