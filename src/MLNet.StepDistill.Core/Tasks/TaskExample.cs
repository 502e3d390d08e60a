namespace MLNet.StepDistill.Tasks;

/// <summary>
/// One task row as plain values: what the annotator and the trainer work on, read from a split file
/// (<see cref="TaskDataset.ReadExamples"/>) or from an IDataView (<see cref="TaskExampleReader.Read"/>).
/// </summary>
/// <param name="Id">The row id (ties the row to its teacher completion).</param>
/// <param name="Inputs">The values of the schema's input fields, in the schema's order (e.g. premise, hypothesis).</param>
/// <param name="Choices">The answer choices (multiple-choice), otherwise empty.</param>
/// <param name="Target">The gold target (answer text, label, or equation); null, or the empty cell as read, for unlabelled rows (<see cref="HasTarget"/>).</param>
public sealed record TaskExample(string Id, IReadOnlyList<string> Inputs, IReadOnlyList<string> Choices, string? Target)
{
    /// <summary>
    /// The row's own rationale (a human explanation) when the schema has a <see cref="TaskSchema.RationaleField"/>;
    /// null when the row has none (or the schema names no such field).
    /// </summary>
    public string? Rationale { get; init; }

    /// <summary>True when the row has a gold target (not null, empty or blank).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Target))]
    public bool HasTarget => !string.IsNullOrWhiteSpace(Target);

    /// <summary>The first input field's value (the question or text; the premise for NLI).</summary>
    public string Text => Inputs.Count > 0 ? Inputs[0] : "";
}
