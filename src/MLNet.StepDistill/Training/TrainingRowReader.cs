using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Reads the trainer's columns from an <see cref="IDataView"/> into <see cref="TrainingRow"/>s, applying the label source
/// and the annotation status: a row whose annotation is not ok keeps its gold label (when labels are gold) but has no
/// rationale, and no teacher label unless its status is label-only.
/// </summary>
internal static class TrainingRowReader
{
    public static IReadOnlyList<TrainingRow> Read(IDataView data, MultiTaskSeq2SeqTrainerOptions options, bool needLabels = true)
    {
        var schema = data.Schema;
        var input = RequireText(schema, options.InputColumnName, nameof(options.InputColumnName));
        var labelName = options.LearnsGoldLabels ? options.LabelColumnName : options.TeacherLabelColumnName;
        var labelOption = options.LearnsGoldLabels ? nameof(options.LabelColumnName) : nameof(options.TeacherLabelColumnName);
        var label = needLabels ? RequireLabel(schema, labelName, labelOption) : OptionalLabel(schema, labelName, labelOption);
        var wantsRationale = options.Mode != TrainingMode.Standard;
        var rationale = wantsRationale && needLabels
            ? RequireText(schema, options.RationaleColumnName, nameof(options.RationaleColumnName))
            : OptionalText(schema, options.RationaleColumnName, nameof(options.RationaleColumnName));
        var status = OptionalText(schema, options.AnnotationStatusColumnName, nameof(options.AnnotationStatusColumnName));
        DataViewSchema.Column? choices = null;
        if (options.ChoicesColumnName is { } choicesName)
        {
            choices = schema.GetColumnOrNull(choicesName)
                ?? throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{nameof(options.ChoicesColumnName)}: the data has no column \"{choicesName}\".");
            if (choices.Value.Type is not VectorDataViewType { ItemType: TextDataViewType })
            {
                throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{nameof(options.ChoicesColumnName)}: column \"{choicesName}\" is {choices.Value.Type}; a text vector is needed.");
            }
        }

        var columns = new[] { input, label, rationale, status, choices }.Where(c => c is not null).Select(c => c!.Value);
        var rows = new List<TrainingRow>();
        using var cursor = data.GetRowCursor(columns);
        var getInput = cursor.GetGetter<ReadOnlyMemory<char>>(input);
        var getLabel = label is { } l ? LabelGetter(cursor, l) : null;
        var getRationale = rationale is { } r ? cursor.GetGetter<ReadOnlyMemory<char>>(r) : null;
        var getStatus = status is { } s ? cursor.GetGetter<ReadOnlyMemory<char>>(s) : null;
        var getChoices = choices is { } c ? cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(c) : null;
        ReadOnlyMemory<char> text = default, rationaleText = default, statusText = default;
        VBuffer<ReadOnlyMemory<char>> choiceTexts = default;
        while (cursor.MoveNext())
        {
            getInput(ref text);
            var hasRationale = true;
            var hasTeacherLabel = true;
            if (getStatus is not null)
            {
                getStatus(ref statusText);
                var rowStatus = statusText.ToString();
                hasRationale = options.GivesRationale(rowStatus);
                hasTeacherLabel = options.GivesTeacherLabel(rowStatus);
            }

            IReadOnlyList<string> rowChoices = [];
            if (getChoices is not null)
            {
                getChoices(ref choiceTexts);
                rowChoices = choiceTexts.DenseValues().Select(v => v.ToString()).ToArray();
            }

            string? rowLabel = null;
            if (getLabel is not null)
            {
                rowLabel = NullIfBlank(getLabel(rowChoices) ?? "");
                if (!options.LearnsGoldLabels && !hasTeacherLabel)
                {
                    rowLabel = null;
                }
            }

            string? rowRationale = null;
            if (getRationale is not null)
            {
                getRationale(ref rationaleText);
                rowRationale = hasRationale ? NullIfBlank(rationaleText.ToString()) : null;
            }

            rows.Add(new TrainingRow(text.ToString(), rowLabel, rowRationale, rowChoices));
        }

        return rows;
    }

    /// <summary>
    /// The classes a key-typed label column names (its text key values, in key order), or null for a text column.
    /// </summary>
    /// <exception cref="ArgumentException">The column is a key without text key values.</exception>
    public static string[]? KeyClasses(DataViewSchema schema, string name, string option)
    {
        if (schema.GetColumnOrNull(name) is not { Type: KeyDataViewType } column)
        {
            return null;
        }

        VBuffer<ReadOnlyMemory<char>> values = default;
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is not { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{option}: key column \"{name}\" has no text key values; map a text label with mlContext.Transforms.Conversion.MapValueToKey.");
        }

        column.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    /// <summary>
    /// A reader of a label column's text: a text column as it is; a key column as its key value (a missing key as null),
    /// or, for multiple-choice rows whose classes are choice positions (a, b, ...), the text of the row's choice there.
    /// </summary>
    private static Func<IReadOnlyList<string>, string?> LabelGetter(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var getText = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> text = default;
            return _ =>
            {
                getText(ref text);
                return text.ToString();
            };
        }

        var classes = KeyClasses(row.Schema, column.Name, "LabelColumnName")!;
        var getKey = row.GetGetter<uint>(column);
        var positions = classes.SequenceEqual(MultipleChoiceFormat.ChoiceLetters(classes.Length));
        uint key = 0;
        return choices =>
        {
            getKey(ref key);
            if (key == 0 || key > classes.Length)
            {
                return null;
            }

            var index = (int)key - 1;
            return positions && choices.Count > 0 ? (index < choices.Count ? choices[index] : null) : classes[index];
        };
    }

    private static DataViewSchema.Column RequireLabel(DataViewSchema schema, string name, string option) =>
        OptionalLabel(schema, name, option)
        ?? throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{option}: the data has no column \"{name}\" (columns: {string.Join(", ", schema.Select(c => c.Name))}).");

    private static DataViewSchema.Column? OptionalLabel(DataViewSchema schema, string name, string option)
    {
        if (schema.GetColumnOrNull(name) is { Type: KeyDataViewType } key)
        {
            KeyClasses(schema, name, option);
            return key;
        }

        return OptionalText(schema, name, option);
    }

    private static string? NullIfBlank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DataViewSchema.Column RequireText(DataViewSchema schema, string name, string option) =>
        OptionalText(schema, name, option)
        ?? throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{option}: the data has no column \"{name}\" (columns: {string.Join(", ", schema.Select(c => c.Name))}).");

    private static DataViewSchema.Column? OptionalText(DataViewSchema schema, string name, string option)
    {
        if (schema.GetColumnOrNull(name) is not { } column)
        {
            return null;
        }

        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{option}: column \"{name}\" is {column.Type}; a text column is needed (map keys back with MapKeyToValue).");
        }

        return column;
    }
}
