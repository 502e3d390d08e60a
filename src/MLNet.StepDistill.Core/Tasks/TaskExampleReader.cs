using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Tasks;

/// <summary>Reads <see cref="TaskExample"/> rows back from any <see cref="IDataView"/> whose columns follow a <see cref="TaskSchema"/>.</summary>
public static class TaskExampleReader
{
    private const string Source = "IDataView";

    /// <summary>
    /// Reads every row of <paramref name="data"/>. Id, input, target and rationale columns must be text (an empty
    /// rationale is none); the choices may be a text
    /// vector column (<see cref="TaskSchema.ChoicesColumn"/>, as <see cref="TaskDataset.LoadSplit"/> makes it), one text
    /// column split at <see cref="TaskSchema.ChoicesSeparator"/>, or the <see cref="TaskSchema.ChoiceFields"/> text columns.
    /// Gold labels are checked against the label set (or the row's choices) and come back in its spelling, as
    /// <see cref="TaskReadOptions"/> describes.
    /// </summary>
    /// <param name="data">The rows.</param>
    /// <param name="schema">Which column plays which role.</param>
    /// <param name="options">What to do with a gold label outside the label set; default: it is an error.</param>
    /// <exception cref="DatasetFormatException">A column is missing or has the wrong type (the message names it), or a
    /// gold label is outside the label set (the message names the 1-based row and the value).</exception>
    public static TaskRows Read(IDataView data, TaskSchema schema, TaskReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(schema);

        var id = TextColumn(data, schema.IdField);
        var inputs = schema.InputFields.Select(f => TextColumn(data, f)).ToArray();
        DataViewSchema.Column? target = schema.TargetField is { } t ? TextColumn(data, t) : null;
        DataViewSchema.Column? rationale = schema.RationaleField is { } r ? TextColumn(data, r) : null;
        var choiceColumns = ChoiceColumns(data, schema);

        var needed = new List<DataViewSchema.Column> { id };
        needed.AddRange(inputs);
        needed.AddRange(choiceColumns);
        if (target is { } tc)
        {
            needed.Add(tc);
        }

        if (rationale is { } rc)
        {
            needed.Add(rc);
        }

        var rows = new List<TaskExample>();
        var labels = new GoldLabelCheck(schema, options);
        long rowNumber = 0;
        using var cursor = data.GetRowCursor(needed.Distinct());
        var getId = cursor.GetGetter<ReadOnlyMemory<char>>(id);
        var getInputs = inputs.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        var getTarget = target is { } col ? cursor.GetGetter<ReadOnlyMemory<char>>(col) : null;
        var getRationale = rationale is { } rcol ? cursor.GetGetter<ReadOnlyMemory<char>>(rcol) : null;
        var getChoices = ChoiceGetter(cursor, schema, choiceColumns);

        ReadOnlyMemory<char> text = default;
        while (cursor.MoveNext())
        {
            getId(ref text);
            var rowId = text.ToString();
            var values = new string[getInputs.Length];
            for (var i = 0; i < getInputs.Length; i++)
            {
                getInputs[i](ref text);
                values[i] = text.ToString();
            }

            string? gold = null;
            if (getTarget is not null)
            {
                getTarget(ref text);
                gold = text.ToString();
            }

            string? own = null;
            if (getRationale is not null)
            {
                getRationale(ref text);
                own = text.Span.IsWhiteSpace() ? null : text.ToString();
            }

            var example = new TaskExample(rowId, values, getChoices(), gold) { Rationale = own };
            if (labels.Check(example, Source, ++rowNumber) is { } kept)
            {
                rows.Add(kept);
            }
        }

        return labels.Result(rows, Source);
    }

    internal static DataViewSchema.Column TextColumn(IDataView data, string name) => TextColumn(data.Schema, name);

    internal static DataViewSchema.Column TextColumn(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new DatasetFormatException(Source, null, name, $"no such column; the columns are {string.Join(", ", schema.Select(c => c.Name))}");
        return column.Type is TextDataViewType
            ? column
            : throw new DatasetFormatException(Source, null, name, $"column of type {column.Type}; expected text");
    }

    internal static DataViewSchema.Column[] ChoiceColumns(IDataView data, TaskSchema schema) => ChoiceColumns(data.Schema, schema);

    internal static DataViewSchema.Column[] ChoiceColumns(DataViewSchema data, TaskSchema schema)
    {
        if (schema.ChoiceFields is { } fields && fields.All(f => data.GetColumnOrNull(f) is not null))
        {
            return fields.Select(f => TextColumn(data, f)).ToArray();
        }

        if (!schema.HasChoices)
        {
            return [];
        }

        var column = data.GetColumnOrNull(schema.ChoicesColumn)
            ?? throw new DatasetFormatException(Source, null, schema.ChoicesColumn, "no such column (the choices)");
        return column.Type is TextDataViewType || column.Type is VectorDataViewType { ItemType: TextDataViewType }
            ? [column]
            : throw new DatasetFormatException(Source, null, column.Name, $"column of type {column.Type}; expected a text vector or text");
    }

    internal static Func<IReadOnlyList<string>> ChoiceGetter(DataViewRow cursor, TaskSchema schema, DataViewSchema.Column[] columns)
    {
        if (columns.Length == 0)
        {
            return () => [];
        }

        if (columns.Length == 1 && columns[0].Type is VectorDataViewType)
        {
            var getVector = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[0]);
            VBuffer<ReadOnlyMemory<char>> vector = default;
            return () =>
            {
                getVector(ref vector);
                return vector.DenseValues().Select(v => v.ToString()).ToArray();
            };
        }

        var getters = columns.Select(c => cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        var separated = schema.ChoiceFields is null;
        ReadOnlyMemory<char> text = default;
        return () =>
        {
            var values = new List<string>();
            foreach (var get in getters)
            {
                get(ref text);
                var value = text.ToString();
                if (separated)
                {
                    values.AddRange(value.Length == 0 ? [] : value.Split(schema.ChoicesSeparator));
                }
                else if (value.Length > 0)
                {
                    values.Add(value);
                }
            }

            return values;
        };
    }
}
