namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Maps a flat row of text columns (a CSV record, a DataFrame row) to a <see cref="TaskExample"/> through the schema:
/// finds each role's column once, then reads rows by column index. The rationale column may hold empty (or null) cells.
/// For scoring (<c>forScoring</c>) only the inputs and choices are needed: the id column is read when there is one
/// (empty otherwise), target and rationale are not read.
/// </summary>
internal sealed class FlatRowMapper
{
    private readonly TaskSchema schema;
    private readonly int id;
    private readonly int[] inputs;
    private readonly int[] choices;
    private readonly int? target;
    private readonly int? rationale;
    private readonly string[] names;

    private readonly bool forScoring;

    public FlatRowMapper(TaskSchema schema, IReadOnlyList<string> columnNames, string source, long? headerLine, bool forScoring = false)
    {
        this.forScoring = forScoring;
        this.schema = schema;
        names = columnNames.ToArray();
        int Find(string name)
        {
            var index = Array.IndexOf(names, name);
            return index >= 0
                ? index
                : throw new DatasetFormatException(source, headerLine, name, $"no such column; the columns are {string.Join(", ", names)}");
        }

        id = forScoring ? Array.IndexOf(names, schema.IdField) : Find(schema.IdField);
        inputs = schema.InputFields.Select(Find).ToArray();
        choices = schema.ChoiceFields is { } many ? many.Select(Find).ToArray()
            : schema.ChoicesField is { } one ? [Find(one)]
            : [];
        target = !forScoring && schema.TargetField is { } t ? Find(t) : null;
        rationale = !forScoring && schema.RationaleField is { } r ? Find(r) : null;
    }

    public TaskExample Map(Func<int, string?> value, string source, long line)
    {
        string Get(int index)
        {
            var v = value(index);
            return v ?? throw new DatasetFormatException(source, line, names[index], "missing (null)");
        }

        var id = this.id < 0 ? "" : forScoring ? value(this.id) ?? "" : Get(this.id);
        if (id.Length == 0 && !forScoring)
        {
            throw new DatasetFormatException(source, line, names[this.id], "empty id");
        }

        var inputs = this.inputs.Select(Get).ToArray();
        string[] choices;
        if (schema.ChoiceFields is not null)
        {
            choices = this.choices.Select(Get).Where(c => c.Length > 0).ToArray();
        }
        else if (this.choices.Length == 1)
        {
            var joined = Get(this.choices[0]);
            choices = joined.Length == 0 ? [] : joined.Split(schema.ChoicesSeparator);
        }
        else
        {
            choices = [];
        }

        if (schema.HasChoices && choices.Length == 0)
        {
            throw new DatasetFormatException(source, line, names[this.choices[0]], "no choices; a multiple-choice row needs its choices");
        }

        var target = this.target is { } t ? Get(t) : null;
        var rationale = this.rationale is { } r && value(r) is { } text && !string.IsNullOrWhiteSpace(text) ? text : null;
        return new TaskExample(id, inputs, choices, target) { Rationale = rationale };
    }
}
