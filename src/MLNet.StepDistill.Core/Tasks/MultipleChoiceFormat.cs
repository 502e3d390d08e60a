namespace MLNet.StepDistill.Tasks;

/// <summary>
/// CommonsenseQA's format: <c>"{question}\nAnswer Choices:\n(a) {c0}\n(b) {c1}\n(c) {c2}\n(d) {c3}\n(e) {c4}"</c>,
/// one lettered line per choice (up to 26). Several input fields are joined by a newline to make the question.
/// </summary>
public sealed class MultipleChoiceFormat : ITaskFormat
{
    /// <inheritdoc />
    public string FormatInput(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Choices.Count > 26)
        {
            throw new ArgumentException($"row \"{example.Id}\" has {example.Choices.Count} choices; letters (a)-(z) allow 26", nameof(example));
        }

        var lines = new List<string> { string.Join("\n", example.Inputs), "Answer Choices:" };
        lines.AddRange(example.Choices.Select((choice, i) => $"({ChoiceLetter(i)}) {choice}"));
        return string.Join("\n", lines);
    }

    /// <summary>The letter of the choice at <paramref name="index"/>: 0 -> 'a'.</summary>
    public static char ChoiceLetter(int index) => (char)('a' + index);

    /// <summary>The letters a, b, c, ... of <paramref name="count"/> choice positions: the classes of a multiple-choice student.</summary>
    public static string[] ChoiceLetters(int count) => Enumerable.Range(0, count).Select(i => ChoiceLetter(i).ToString()).ToArray();
}
