using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Recipes;

/// <summary>
/// Reads a dataset split into <see cref="AnnotatedRow"/>s: the dataset's recorded teacher (when it has one for the split)
/// annotates the rows through the <see cref="RationaleAnnotator"/>, and <see cref="StudentInputs"/> builds the student's
/// columns — the same path a pipeline takes with a live teacher. This is a recipe: it composes the Tasks, Teaching and
/// Training stages for the shipped datasets, the experiments and the command line.
/// </summary>
public static class AnnotatedSplit
{
    /// <summary>The rows of <paramref name="split"/>; <paramref name="teacherName"/> null takes the dataset's first recorded teacher, <c>""</c> none.</summary>
    public static IReadOnlyList<AnnotatedRow> Read(MLContext mlContext, TaskDataset dataset, string split, string? teacherName = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(dataset);
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
