namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The text as given: SVAMP's question (body and question already joined by a newline in the data), or a
/// classification text. Several input fields are joined by a newline.
/// </summary>
public sealed class PlainTextFormat : ITaskFormat
{
    /// <inheritdoc />
    public string FormatInput(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return string.Join("\n", example.Inputs);
    }
}
