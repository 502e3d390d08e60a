namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Which field of a row plays which role: the id, the input text fields, the answer choices (multiple-choice only),
/// the gold target, and the closed label set where there is one. The same names are the column names of the
/// <see cref="Microsoft.ML.IDataView"/> a <see cref="TaskDataset"/> loads.
/// </summary>
public sealed record TaskSchema
{
    /// <summary>The default separator of a single choices field in flat sources (CSV, DataFrame): <c>"|"</c>.</summary>
    public const string DefaultChoicesSeparator = "|";

    /// <summary>The IDataView column name of the choices when they come from several <see cref="ChoiceFields"/>.</summary>
    public const string DefaultChoicesColumn = "choices";

    /// <summary>The task family.</summary>
    public required TaskFamily Family { get; init; }

    /// <summary>The field holding the row id (ties a row to its teacher completion).</summary>
    public required string IdField { get; init; }

    /// <summary>
    /// The text fields that make the input, in order: e.g. <c>["question"]</c>, <c>["premise", "hypothesis"]</c>, <c>["text"]</c>.
    /// NLI takes exactly two (premise, hypothesis).
    /// </summary>
    public required IReadOnlyList<string> InputFields { get; init; }

    /// <summary>
    /// Multiple-choice only: the field holding the choices. In JSONL it is an array of strings; in CSV and DataFrame
    /// sources it is one text field with the choices separated by <see cref="ChoicesSeparator"/>.
    /// Give this or <see cref="ChoiceFields"/>, not both.
    /// </summary>
    public string? ChoicesField { get; init; }

    /// <summary>
    /// Multiple-choice only: several fields holding one choice each, in order (e.g. <c>["a", "b", "c", "d", "e"]</c>);
    /// an empty value is left out, so rows may have fewer choices. Give this or <see cref="ChoicesField"/>, not both.
    /// </summary>
    public IReadOnlyList<string>? ChoiceFields { get; init; }

    /// <summary>The separator of a single <see cref="ChoicesField"/> in flat sources (CSV, DataFrame); default <c>"|"</c>.</summary>
    public string ChoicesSeparator { get; init; } = DefaultChoicesSeparator;

    /// <summary>The field holding the gold target (answer text, label or equation); null for unlabelled data.</summary>
    public string? TargetField { get; init; }

    /// <summary>
    /// The closed label set (e.g. entailment / neutral / contradiction), or null where there is none
    /// (multiple-choice: the row's choices are its label set; math: an expression). Its order is the class order of a
    /// student trained on it (the CLI, the experiments and <c>MapLabelToKey(schema.Labels, ...)</c> keep it): the order of
    /// <c>Score</c>'s slots. Every gold label must be one of these (compared as <see cref="AnswerComparer.Normalize"/>
    /// compares) and is read in this spelling (<see cref="TaskReadOptions"/>).
    /// </summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>
    /// The field holding the row's own rationale (e.g. a human-written explanation), for datasets that bring their
    /// rationales instead of asking a teacher; null (default) when there is none. Rows may leave it empty (or, in
    /// JSONL, out): they then train the label task only. A text column named as the field in the IDataView.
    /// </summary>
    public string? RationaleField { get; init; }

    /// <summary>True when rows carry answer choices.</summary>
    public bool HasChoices => ChoicesField is not null || ChoiceFields is { Count: > 0 };

    /// <summary>The IDataView column name of the choices: <see cref="ChoicesField"/>, or <c>"choices"</c> when they come from several fields.</summary>
    public string ChoicesColumn => ChoicesField ?? DefaultChoicesColumn;

    /// <summary>Checks that the roles fit the family; throws <see cref="DatasetFormatException"/> naming <paramref name="source"/> otherwise.</summary>
    /// <param name="source">The manifest path (or another description of where the schema came from), for messages.</param>
    public void Validate(string source)
    {
        void Fail(string field, string problem) => throw new DatasetFormatException(source, null, field, problem);

        if (string.IsNullOrWhiteSpace(IdField))
        {
            Fail("idField", "must name the field that holds the row id");
        }

        if (InputFields is null || InputFields.Count == 0 || InputFields.Any(string.IsNullOrWhiteSpace))
        {
            Fail("inputFields", "must list at least one field name (e.g. [\"question\"])");
        }

        if (ChoicesField is not null && ChoiceFields is not null)
        {
            Fail("choicesField", "give either choicesField (one field) or choiceFields (one field per choice), not both");
        }

        if (ChoiceFields is not null && (ChoiceFields.Count == 0 || ChoiceFields.Any(string.IsNullOrWhiteSpace)))
        {
            Fail("choiceFields", "must list at least one field name");
        }

        if (RationaleField is not null && string.IsNullOrWhiteSpace(RationaleField))
        {
            Fail("rationaleField", "must name the field that holds the rows' own rationales (or be left out)");
        }

        if (string.IsNullOrEmpty(ChoicesSeparator))
        {
            Fail("choicesSeparator", "must not be empty");
        }

        if (Family is null)
        {
            Fail("family", $"must name a task family ({string.Join(", ", TaskFamily.Names)})");
        }

        if (Family!.HasChoices && !HasChoices)
        {
            Fail("choicesField", $"a {Family.Name} dataset needs choicesField or choiceFields");
        }
        else if (!Family.HasChoices && HasChoices)
        {
            Fail("choicesField", $"only datasets whose rows carry choices (multiple-choice-qa) have choices, this one is {Family.Name}");
        }
        else if (Family.InputFieldCount is { } inputCount && InputFields!.Count != inputCount)
        {
            Fail("inputFields", $"a {Family.Name} dataset takes exactly {inputCount} input fields, found {InputFields.Count}");
        }
        else if (Family.LabelSet == LabelSetRule.Required && Labels is not { Count: > 0 })
        {
            Fail("labels", $"a {Family.Name} dataset needs its closed label set, e.g. [\"entailment\", \"neutral\", \"contradiction\"]");
        }
        else if (Family.LabelSet == LabelSetRule.None && Labels is not null)
        {
            Fail("labels", $"a {Family.Name} dataset has no closed label set; leave labels out");
        }

        if (Labels is not null)
        {
            if (Labels.Count == 0 || Labels.Any(string.IsNullOrWhiteSpace))
            {
                Fail("labels", "must list at least one non-empty label");
            }

            // Gold labels are matched to the set as AnswerComparer normalises answers: two labels the same after that are one.
            var duplicate = Labels.GroupBy(AnswerComparer.Normalize, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                Fail("labels", $"label \"{duplicate.First()}\" appears more than once (labels are compared ignoring case, spaces and a trailing full stop)");
            }
        }

        var roles = new List<(string Role, string Name)> { ("idField", IdField) };
        roles.AddRange(InputFields!.Select(f => ("inputFields", f)));
        if (ChoicesField is not null)
        {
            roles.Add(("choicesField", ChoicesField));
        }

        roles.AddRange((ChoiceFields ?? []).Select(f => ("choiceFields", f)));
        if (TargetField is not null)
        {
            roles.Add(("targetField", TargetField));
        }

        if (RationaleField is not null)
        {
            roles.Add(("rationaleField", RationaleField));
        }

        var clash = roles.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            Fail(clash.First().Role, $"field \"{clash.Key}\" is used for more than one role ({string.Join(", ", clash.Select(c => c.Role))})");
        }
    }
}
