using System.Globalization;
using Microsoft.Data.Analysis;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Reads task rows from a <see cref="DataFrame"/>: columns named as the schema's fields; input and choice columns hold
/// strings, id and target columns strings or numbers. Choices come from one string column split at
/// <see cref="TaskSchema.ChoicesSeparator"/> or from several <see cref="TaskSchema.ChoiceFields"/> columns.
/// A null cell, and a gold label outside the label set (<see cref="GoldLabelCheck"/>), are errors naming the row (1-based) and column.
/// </summary>
internal static class DataFrameTaskReader
{
    public const string Source = "DataFrame";

    public static TaskRows Read(DataFrame frame, TaskSchema schema, TaskReadOptions? options)
    {
        var names = frame.Columns.Select(c => c.Name).ToArray();
        var mapper = new FlatRowMapper(schema, names, Source, null);

        var numericAllowed = new HashSet<string>(StringComparer.Ordinal) { schema.IdField };
        if (schema.TargetField is { } t)
        {
            numericAllowed.Add(t);
        }

        var used = schema.InputFields.Concat(schema.ChoiceFields ?? []).Append(schema.IdField);
        used = schema.ChoicesField is { } cf ? used.Append(cf) : used;
        used = schema.TargetField is { } tf ? used.Append(tf) : used;
        used = schema.RationaleField is { } rf ? used.Append(rf) : used;
        foreach (var name in used)
        {
            var type = frame.Columns[name].DataType;
            var ok = type == typeof(string) || (numericAllowed.Contains(name) && IsNumber(type));
            if (!ok)
            {
                throw new DatasetFormatException(Source, null, name,
                    $"column of {type.Name}; expected strings{(numericAllowed.Contains(name) ? " or numbers" : "")}");
            }
        }

        var columns = frame.Columns.ToArray();
        var labels = new GoldLabelCheck(schema, options);
        var rows = new List<TaskExample>((int)frame.Rows.Count);
        for (long row = 0; row < frame.Rows.Count; row++)
        {
            var r = row;
            var example = mapper.Map(i => columns[i][r] is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null, Source, row + 1);
            if (labels.Check(example, Source, row + 1) is { } kept)
            {
                rows.Add(kept);
            }
        }

        return labels.Result(rows, Source);
    }

    private static bool IsNumber(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) ||
        type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte) ||
        type == typeof(float) || type == typeof(double) || type == typeof(decimal);
}
