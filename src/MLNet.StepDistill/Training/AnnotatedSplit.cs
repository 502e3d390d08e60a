using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;

namespace MLNet.StepDistill.Training;

/// <summary>One row of a dataset split with its teacher annotation, in the trainer's default column names.</summary>
public sealed class AnnotatedRow
{
    /// <summary>The row id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The formatted task input (no prefix).</summary>
    public string Input { get; set; } = "";

    /// <summary>The gold target (empty when the split has none).</summary>
    public string Label { get; set; } = "";

    /// <summary>The answer choices (multiple-choice), otherwise empty.</summary>
    public string[] Choices { get; set; } = [];

    /// <summary>The teacher's rationale (empty when there is no usable annotation).</summary>
    public string Rationale { get; set; } = "";

    /// <summary>The teacher's label (empty when parsing failed).</summary>
    public string TeacherLabel { get; set; } = "";

    /// <summary>The annotator's status (<c>"ok"</c>, <c>"parse-failed"</c>, <c>"call-failed"</c>, <c>"filtered"</c>), or <c>"not-annotated"</c>.</summary>
    public string AnnotationStatus { get; set; } = "";
}

/// <summary>
/// Reads a dataset split into <see cref="AnnotatedRow"/>s: the dataset's recorded teacher (when it has one for the split)
/// annotates the rows through the <see cref="RationaleAnnotator"/>, and <see cref="StudentInputs"/> builds the student's
/// columns — the same path a pipeline takes with a live teacher.
/// </summary>
public static class AnnotatedSplit
{
    /// <summary>The rows of <paramref name="split"/>; <paramref name="teacherName"/> null takes the dataset's first recorded teacher, <c>""</c> none.</summary>
    public static IReadOnlyList<AnnotatedRow> Read(TaskDataset dataset, string split, string? teacherName = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var mlContext = new MLContext();
        var data = dataset.LoadSplit(mlContext, split);
        teacherName ??= dataset.Manifest.Teachers.Keys.FirstOrDefault(t => dataset.Manifest.Teachers[t].ContainsKey(split)) ?? "";
        if (teacherName.Length > 0)
        {
            var teacher = RecordedTeacher.Open(dataset.Manifest, split, teacherName);
            data = mlContext.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(dataset.Manifest)).Fit(data).Transform(data);
        }

        return StudentInputs.Read(data, dataset.Schema);
    }

    /// <summary>The rows as an <see cref="IDataView"/> (columns Id, Input, Label, Choices, Rationale, TeacherLabel, AnnotationStatus).</summary>
    public static IDataView ToDataView(MLContext mlContext, IEnumerable<AnnotatedRow> rows) => mlContext.Data.LoadFromEnumerable(rows);
}
