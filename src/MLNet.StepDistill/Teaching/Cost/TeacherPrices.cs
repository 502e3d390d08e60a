namespace MLNet.StepDistill.Teaching;

/// <summary>
/// What a teacher's tokens cost, in your currency per million tokens (e.g. US dollars as the provider's price page
/// gives them). Set <see cref="RationaleAnnotatorOptions.Prices"/> to have reports, rows and budgets in money.
/// </summary>
public sealed class TeacherPrices
{
    /// <summary>Price of a million prompt (input) tokens. Default 0.</summary>
    public double InputPerMillion { get; init; }

    /// <summary>Price of a million completion (output) tokens. Default 0.</summary>
    public double OutputPerMillion { get; init; }

    /// <summary>
    /// The fraction taken off both prices for requests answered through a provider batch (OpenAI and Azure OpenAI: 0.5).
    /// Default 0.5.
    /// </summary>
    public double BatchDiscount { get; init; } = 0.5;

    /// <summary>The cost of one request's tokens.</summary>
    /// <param name="promptTokens">Prompt tokens.</param>
    /// <param name="completionTokens">Completion tokens.</param>
    /// <param name="batched">Whether the request went through a provider batch (priced with <see cref="BatchDiscount"/>).</param>
    public double Cost(long promptTokens, long completionTokens, bool batched = false) =>
        (promptTokens * InputPerMillion + completionTokens * OutputPerMillion) / 1_000_000d * (batched ? 1 - BatchDiscount : 1);

    /// <summary>Checks the prices and names the first one out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A price is negative or not finite, or the discount is outside [0, 1].</exception>
    public void Validate()
    {
        if (!double.IsFinite(InputPerMillion) || InputPerMillion < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InputPerMillion), InputPerMillion, "TeacherPrices.InputPerMillion must be 0 or more.");
        }
        if (!double.IsFinite(OutputPerMillion) || OutputPerMillion < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(OutputPerMillion), OutputPerMillion, "TeacherPrices.OutputPerMillion must be 0 or more.");
        }
        if (!double.IsFinite(BatchDiscount) || BatchDiscount is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchDiscount), BatchDiscount, "TeacherPrices.BatchDiscount must be between 0 and 1.");
        }
    }
}
