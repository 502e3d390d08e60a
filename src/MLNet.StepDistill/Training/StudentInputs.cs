using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Turns a task's rows (as <see cref="TaskDataset.LoadSplit"/> gives them, or as the rationale annotator returns them) into
/// the student's columns: <c>Id</c>, <c>Input</c> (the paper's input text, built by the task format), <c>Label</c> (the
/// gold target), <c>Choices</c>, and, when the data is annotated, <c>Rationale</c>, <c>TeacherLabel</c> and
/// <c>AnnotationStatus</c> — the default column names of <see cref="MultiTaskSeq2SeqTrainerOptions"/>.
/// </summary>
/// <remarks>
/// A dataset that brings its own rationales (<see cref="TaskSchema.RationaleField"/>) and carries no annotator
/// columns gets them as <c>Rationale</c>: rows with a non-empty one have status <see cref="OwnRationale"/> (usable), the others
/// <see cref="NotAnnotated"/>; <c>TeacherLabel</c> stays empty, so such data trains with gold labels
/// (<see cref="TrainingMethod.FineTuning"/>, <see cref="TrainingMethod.StepByStepGold"/>). When a teacher annotated the rows, its columns win.
/// </remarks>
public static class StudentInputs
{
    /// <summary>The status given to rows of data that carries no annotation columns.</summary>
    public const string NotAnnotated = "not-annotated";

    /// <summary>
    /// The status given to rows with their own rationale (<see cref="TaskSchema.RationaleField"/>): <c>"ok"</c>, the
    /// default <see cref="MultiTaskSeq2SeqTrainerOptions.OkAnnotationStatus"/>, so the trainer uses them.
    /// </summary>
    public const string OwnRationale = "ok";

    /// <summary>Reads <paramref name="data"/> with <paramref name="schema"/> and returns the student's columns, row for row.</summary>
    /// <param name="mlContext">The context that makes the result.</param>
    /// <param name="data">Task rows; annotation columns are used when present (named as the annotator names them by default).</param>
    /// <param name="schema">Which columns hold the id, inputs, choices and target (a dataset's <see cref="TaskDataset.Schema"/>).</param>
    /// <param name="endOfSequence">The student tokenizer's end-of-sequence text, used between NLI premise and hypothesis.</param>
    /// <param name="rationaleColumnName">The annotator's rationale column.</param>
    /// <param name="teacherLabelColumnName">The annotator's teacher-label column.</param>
    /// <param name="statusColumnName">The annotator's status column.</param>
    public static IDataView Create(
        MLContext mlContext,
        IDataView data,
        TaskSchema schema,
        string endOfSequence = "</s>",
        string rationaleColumnName = "Rationale",
        string teacherLabelColumnName = "TeacherLabel",
        string statusColumnName = "AnnotationStatus") =>
        mlContext.Data.LoadFromEnumerable(Read(data, schema, endOfSequence, rationaleColumnName, teacherLabelColumnName, statusColumnName));

    /// <summary>The same rows as <see cref="Create"/>, as objects.</summary>
    public static IReadOnlyList<AnnotatedRow> Read(
        IDataView data,
        TaskSchema schema,
        string endOfSequence = "</s>",
        string rationaleColumnName = "Rationale",
        string teacherLabelColumnName = "TeacherLabel",
        string statusColumnName = "AnnotationStatus")
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(schema);
        var examples = TaskExampleReader.Read(data, schema);
        var format = schema.Family.CreateFormat(endOfSequence);
        var annotations = ReadAnnotations(data, schema, rationaleColumnName, teacherLabelColumnName, statusColumnName);
        return examples.Select((example, i) => new AnnotatedRow
        {
            Id = example.Id,
            Input = format.FormatInput(example),
            Label = example.Target ?? "",
            Choices = example.Choices.ToArray(),
            Rationale = annotations?[i].Rationale ?? example.Rationale ?? "",
            TeacherLabel = annotations?[i].TeacherLabel ?? "",
            AnnotationStatus = annotations?[i].Status ?? (example.Rationale is null ? NotAnnotated : OwnRationale),
        }).ToArray();
    }

    private static List<(string Rationale, string TeacherLabel, string Status)>? ReadAnnotations(
        IDataView data, TaskSchema schema, string rationaleName, string teacherLabelName, string statusName)
    {
        var names = new[] { rationaleName, teacherLabelName, statusName };
        var columns = names.Select(n => data.Schema.GetColumnOrNull(n)).ToArray();
        // The dataset's own rationale column may share the annotator's name; alone, it is not an annotation.
        var ownRationaleOnly = columns[1] is null && columns[2] is null && string.Equals(schema.RationaleField, rationaleName, StringComparison.Ordinal);
        if (columns.All(c => c is null) || ownRationaleOnly)
        {
            return null;
        }

        for (var i = 0; i < columns.Length; i++)
        {
            if (columns[i] is not { Type: TextDataViewType })
            {
                throw new ArgumentException(
                    $"The data has some annotation columns but column \"{names[i]}\" is {(columns[i] is { } c ? c.Type.ToString() : "missing")}; " +
                    $"annotated data needs the text columns {string.Join(", ", names)}.");
            }
        }

        var result = new List<(string, string, string)>();
        using var cursor = data.GetRowCursor(columns.Select(c => c!.Value));
        var getters = columns.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c!.Value)).ToArray();
        ReadOnlyMemory<char> rationale = default, teacherLabel = default, status = default;
        while (cursor.MoveNext())
        {
            getters[0](ref rationale);
            getters[1](ref teacherLabel);
            getters[2](ref status);
            result.Add((rationale.ToString(), teacherLabel.ToString(), status.ToString()));
        }

        return result;
    }
}
