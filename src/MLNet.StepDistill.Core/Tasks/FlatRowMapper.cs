namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Maps a flat row of text columns (a CSV record, a DataFrame row) to a <see cref="TaskExample"/> through the schema:
/// finds each role's column once, then reads rows by column index. The rationale column may hold empty (or null) cells.
/// For scoring (<c>forScoring</c>) only the inputs and choices are needed: the id column is read when there is one
/// (empty otherwise), target and rationale are not read.
/// </summary>
internal sealed class FlatRowMapper
{
    private readonly TaskSchema _schema;
    private readonly int _id;
    private readonly int[] _inputs;
    private readonly int[] _choices;
    private readonly int? _target;
    private readonly int? _rationale;
    private readonly string[] _names;

    private readonly bool _forScoring;

    public FlatRowMapper(TaskSchema schema, IReadOnlyList<string> columnNames, string source, long? headerLine, bool forScoring = false)
    {
        _forScoring = forScoring;
        _schema = schema;
        _names = columnNames.ToArray();
        int Find(string name)
        {
            var index = Array.IndexOf(_names, name);
            return index >= 0
                ? index
                : throw new DatasetFormatException(source, headerLine, name, $"no such column; the columns are {string.Join(", ", _names)}");
        }

        _id = forScoring ? Array.IndexOf(_names, schema.IdField) : Find(schema.IdField);
        _inputs = schema.InputFields.Select(Find).ToArray();
        _choices = schema.ChoiceFields is { } many ? many.Select(Find).ToArray()
            : schema.ChoicesField is { } one ? [Find(one)]
            : [];
        _target = !forScoring && schema.TargetField is { } t ? Find(t) : null;
        _rationale = !forScoring && schema.RationaleField is { } r ? Find(r) : null;
    }

    public TaskExample Map(Func<int, string?> value, string source, long line)
    {
        string Get(int index)
        {
            var v = value(index);
            return v ?? throw new DatasetFormatException(source, line, _names[index], "missing (null)");
        }

        var id = _id < 0 ? "" : _forScoring ? value(_id) ?? "" : Get(_id);
        if (id.Length == 0 && !_forScoring)
        {
            throw new DatasetFormatException(source, line, _names[_id], "empty id");
        }

        var inputs = _inputs.Select(Get).ToArray();
        string[] choices;
        if (_schema.ChoiceFields is not null)
        {
            choices = _choices.Select(Get).Where(c => c.Length > 0).ToArray();
        }
        else if (_choices.Length == 1)
        {
            var joined = Get(_choices[0]);
            choices = joined.Length == 0 ? [] : joined.Split(_schema.ChoicesSeparator);
        }
        else
        {
            choices = [];
        }

        if (_schema.HasChoices && choices.Length == 0)
        {
            throw new DatasetFormatException(source, line, _names[_choices[0]], "no choices; a multiple-choice row needs its choices");
        }

        var target = _target is { } t ? Get(t) : null;
        var rationale = _rationale is { } r && value(r) is { } text && !string.IsNullOrWhiteSpace(text) ? text : null;
        return new TaskExample(id, inputs, choices, target) { Rationale = rationale };
    }
}
