using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Reads the trainer's columns from an <see cref="IDataView"/> into <see cref="TrainingRow"/>s, applying the label source
/// and the annotation status: a row whose annotation is not ok keeps its gold label (when labels are gold) but has no
/// rationale and no teacher label.
/// </summary>
internal static class TrainingRowReader
{
    public static IReadOnlyList<TrainingRow> Read(IDataView data, MultiTaskSeq2SeqTrainer.Options options, bool needLabels = true)
    {
        var schema = data.Schema;
        var input = RequireText(schema, options.InputColumnName, nameof(options.InputColumnName));
        var labelName = options.LabelSource == LabelSource.Gold ? options.LabelColumnName : options.TeacherLabelColumnName;
        var labelOption = options.LabelSource == LabelSource.Gold ? nameof(options.LabelColumnName) : nameof(options.TeacherLabelColumnName);
        var label = needLabels ? RequireText(schema, labelName, labelOption) : OptionalText(schema, labelName, labelOption);
        var wantsRationale = options.Mode != TrainingMode.Standard;
        var rationale = wantsRationale && needLabels
            ? RequireText(schema, options.RationaleColumnName, nameof(options.RationaleColumnName))
            : OptionalText(schema, options.RationaleColumnName, nameof(options.RationaleColumnName));
        var status = OptionalText(schema, options.AnnotationStatusColumnName, nameof(options.AnnotationStatusColumnName));
        DataViewSchema.Column? choices = null;
        if (options.ChoicesColumnName is { } choicesName)
        {
            choices = schema.GetColumnOrNull(choicesName)
                ?? throw new ArgumentException($"Options.{nameof(options.ChoicesColumnName)}: the data has no column \"{choicesName}\".");
            if (choices.Value.Type is not VectorDataViewType { ItemType: TextDataViewType })
            {
                throw new ArgumentException($"Options.{nameof(options.ChoicesColumnName)}: column \"{choicesName}\" is {choices.Value.Type}; a text vector is needed.");
            }
        }

        var columns = new[] { input, label, rationale, status, choices }.Where(c => c is not null).Select(c => c!.Value);
        var rows = new List<TrainingRow>();
        using var cursor = data.GetRowCursor(columns);
        var getInput = cursor.GetGetter<ReadOnlyMemory<char>>(input);
        var getLabel = label is { } l ? cursor.GetGetter<ReadOnlyMemory<char>>(l) : null;
        var getRationale = rationale is { } r ? cursor.GetGetter<ReadOnlyMemory<char>>(r) : null;
        var getStatus = status is { } s ? cursor.GetGetter<ReadOnlyMemory<char>>(s) : null;
        var getChoices = choices is { } c ? cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(c) : null;
        ReadOnlyMemory<char> text = default, labelText = default, rationaleText = default, statusText = default;
        VBuffer<ReadOnlyMemory<char>> choiceTexts = default;
        while (cursor.MoveNext())
        {
            getInput(ref text);
            var ok = true;
            if (getStatus is not null)
            {
                getStatus(ref statusText);
                ok = string.Equals(statusText.ToString().Trim(), options.OkAnnotationStatus, StringComparison.OrdinalIgnoreCase);
            }

            string? rowLabel = null;
            if (getLabel is not null)
            {
                getLabel(ref labelText);
                rowLabel = NullIfBlank(labelText.ToString());
                if (options.LabelSource == LabelSource.Teacher && !ok)
                {
                    rowLabel = null;
                }
            }

            string? rowRationale = null;
            if (getRationale is not null)
            {
                getRationale(ref rationaleText);
                rowRationale = ok ? NullIfBlank(rationaleText.ToString()) : null;
            }

            IReadOnlyList<string> rowChoices = [];
            if (getChoices is not null)
            {
                getChoices(ref choiceTexts);
                rowChoices = choiceTexts.DenseValues().Select(v => v.ToString()).ToArray();
            }

            rows.Add(new TrainingRow(text.ToString(), rowLabel, rowRationale, rowChoices));
        }

        return rows;
    }

    private static string? NullIfBlank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DataViewSchema.Column RequireText(DataViewSchema schema, string name, string option) =>
        OptionalText(schema, name, option)
        ?? throw new ArgumentException($"Options.{option}: the data has no column \"{name}\" (columns: {string.Join(", ", schema.Select(c => c.Name))}).");

    private static DataViewSchema.Column? OptionalText(DataViewSchema schema, string name, string option)
    {
        if (schema.GetColumnOrNull(name) is not { } column)
        {
            return null;
        }

        if (column.Type is not TextDataViewType)
        {
            throw new ArgumentException($"Options.{option}: column \"{name}\" is {column.Type}; a text column is needed (map keys back with MapKeyToValue).");
        }

        return column;
    }
}
