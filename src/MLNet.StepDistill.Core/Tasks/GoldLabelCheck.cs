namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The one check of gold labels as rows are read, shared by every reader (JSONL, CSV, DataFrame, IDataView): a target
/// must be one of the schema's <see cref="TaskSchema.Labels"/> (or, for rows with choices, one of the row's choices),
/// compared as <see cref="AnswerComparer.Normalize"/> compares answers, and comes back in the label set's own spelling.
/// A target outside the set is a <see cref="DatasetFormatException"/> naming the source, line and value, or, with
/// <see cref="TaskReadOptions.DropUnknownLabels"/>, a dropped row. Empty targets (unlabelled rows) and open targets
/// (no label set, no choices: math equations) pass as they are.
/// </summary>
internal sealed class GoldLabelCheck
{
    private readonly TaskSchema schema;
    private readonly bool dropUnknown;
    private readonly Dictionary<string, string>? labelsByNormalForm;
    private readonly List<DroppedTaskRow> dropped = [];

    public GoldLabelCheck(TaskSchema schema, TaskReadOptions? options)
    {
        this.schema = schema;
        dropUnknown = options?.DropUnknownLabels ?? false;
        if (schema.Labels is { Count: > 0 } labels)
        {
            labelsByNormalForm = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in labels)
            {
                labelsByNormalForm.TryAdd(AnswerComparer.Normalize(label), label);
            }
        }
    }

    /// <summary>The rows dropped so far.</summary>
    public IReadOnlyList<DroppedTaskRow> Dropped => dropped;

    /// <summary>The row with its target in the label set's spelling, or null when it is dropped.</summary>
    /// <exception cref="DatasetFormatException">The target is outside the label set and rows are not dropped.</exception>
    public TaskExample? Check(TaskExample row, string source, long line)
    {
        if (!row.HasTarget || schema.TargetField is null)
        {
            return row;
        }

        string? canonical;
        string problem;
        if (labelsByNormalForm is not null)
        {
            canonical = labelsByNormalForm.GetValueOrDefault(AnswerComparer.Normalize(row.Target));
            problem = $"label \"{row.Target}\" is not in the label set ({string.Join(", ", schema.Labels!)}); correct the row or add the label to \"labels\" in dataset.json";
        }
        else if (schema.HasChoices)
        {
            var position = AnswerComparer.PositionAmong(row.Target, row.Choices);
            canonical = position >= 0 ? row.Choices[position] : null;
            problem = $"answer \"{row.Target}\" is none of the row's choices ({string.Join(", ", row.Choices)}); correct the answer or the choices";
        }
        else
        {
            return row;
        }

        if (canonical is not null)
        {
            return canonical == row.Target ? row : row with { Target = canonical };
        }

        if (!dropUnknown)
        {
            throw new DatasetFormatException(source, line, schema.TargetField,
                problem + ", or skip such rows (CLI --drop-unknown-labels, C# TaskReadOptions.DropUnknownLabels)");
        }

        dropped.Add(new DroppedTaskRow(source, line, row.Id, row.Target));
        return null;
    }

    /// <summary>The kept rows with the dropped ones, as the readers return them.</summary>
    /// <exception cref="DatasetFormatException">Every row was dropped.</exception>
    public TaskRows Result(IReadOnlyList<TaskExample> kept, string source)
    {
        if (kept.Count == 0 && dropped.Count > 0)
        {
            throw new DatasetFormatException(source, null, schema.TargetField,
                $"all {dropped.Count} rows have a gold label outside the label set and were dropped (the first: line {dropped[0].Line}, \"{dropped[0].Label}\"); no rows are left");
        }

        return new TaskRows(kept, dropped.ToArray());
    }
}
