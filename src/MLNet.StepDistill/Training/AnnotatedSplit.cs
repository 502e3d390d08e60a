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

    /// <summary><c>"ok"</c>, <c>"parse-failed"</c>, or <c>"not-annotated"</c>.</summary>
    public string AnnotationStatus { get; set; } = "";
}

/// <summary>
/// Reads a dataset split into <see cref="AnnotatedRow"/>s: the task format builds the input, the dataset's recorded teacher
/// (when it has one for the split) gives completions, and the family's parser splits them into rationale and label.
/// </summary>
public static class AnnotatedSplit
{
    /// <summary>The rows of <paramref name="split"/>; <paramref name="teacherName"/> null takes the dataset's first recorded teacher, <c>""</c> none.</summary>
    public static IReadOnlyList<AnnotatedRow> Read(TaskDataset dataset, string split, string? teacherName = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var examples = dataset.ReadExamples(split);
        var format = TaskFormats.For(dataset.Manifest.Family);
        teacherName ??= dataset.Manifest.Teachers.Keys.FirstOrDefault(t => dataset.Manifest.Teachers[t].ContainsKey(split)) ?? "";
        RecordedTeacher? teacher = teacherName.Length > 0 ? RecordedTeacher.Open(dataset.Manifest, split, teacherName) : null;
        var annotator = CompletionAnnotator.For(dataset.Manifest);
        return examples.Select(example =>
        {
            var row = new AnnotatedRow
            {
                Id = example.Id,
                Input = format.FormatInput(example),
                Label = example.Target ?? "",
                Choices = example.Choices.ToArray(),
                AnnotationStatus = "not-annotated",
            };
            if (teacher is not null && teacher.TryGetCompletion(example.Id, out var completion))
            {
                var parsed = annotator.Annotate(example, completion).Parsed;
                row.Rationale = parsed.Rationale;
                row.TeacherLabel = parsed.Label ?? "";
                row.AnnotationStatus = parsed.IsOk ? "ok" : "parse-failed";
            }

            return row;
        }).ToArray();
    }

    /// <summary>The rows as an <see cref="IDataView"/> (columns Id, Input, Label, Choices, Rationale, TeacherLabel, AnnotationStatus).</summary>
    public static IDataView ToDataView(MLContext mlContext, IEnumerable<AnnotatedRow> rows) => mlContext.Data.LoadFromEnumerable(rows);
}
