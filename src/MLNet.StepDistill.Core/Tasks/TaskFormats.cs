namespace MLNet.StepDistill.Tasks;

/// <summary>The paper's input format for each task family.</summary>
public static class TaskFormats
{
    /// <summary>
    /// The format of a family: <see cref="MultipleChoiceFormat"/>, <see cref="NliFormat"/> (with
    /// <paramref name="endOfSequence"/>), or <see cref="PlainTextFormat"/> for math and classification.
    /// </summary>
    public static ITaskFormat For(TaskFamily family, string endOfSequence = NliFormat.T5EndOfSequence) =>
        TaskFamilyDefinition.For(family).Format(endOfSequence);
}
