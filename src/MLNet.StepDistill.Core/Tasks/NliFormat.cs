namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The NLI format: premise and hypothesis joined by the student tokenizer's end-of-sequence text,
/// <c>"{premise}{eos}{hypothesis}"</c> (T5: <c>"{premise}&lt;/s&gt;{hypothesis}"</c>).
/// </summary>
/// <param name="endOfSequence">The end-of-sequence token text of the student's tokenizer; T5's <c>"&lt;/s&gt;"</c> by default.</param>
public sealed class NliFormat(string endOfSequence = NliFormat.T5EndOfSequence) : ITaskFormat
{
    /// <summary>T5's end-of-sequence token text.</summary>
    public const string T5EndOfSequence = "</s>";

    /// <summary>The separator between premise and hypothesis.</summary>
    public string EndOfSequence { get; } = endOfSequence ?? throw new ArgumentNullException(nameof(endOfSequence));

    /// <inheritdoc />
    public string FormatInput(TaskExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        if (example.Inputs.Count != 2)
        {
            throw new ArgumentException($"row \"{example.Id}\" has {example.Inputs.Count} inputs; NLI takes premise and hypothesis", nameof(example));
        }

        return example.Inputs[0] + EndOfSequence + example.Inputs[1];
    }
}
