using Microsoft.ML.Tokenizers;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// Counts tokens where a teacher reports no usage, and for dry runs: OpenAI's <c>o200k_base</c> encoding (GPT-4o and
/// later), plus 3 tokens per chat message and 3 for the reply's priming, as OpenAI's own counting guide does. Exact for
/// OpenAI's current models, an estimate for others (their tokenizers differ by some percent); counts made here are
/// always marked estimated.
/// </summary>
internal static class TokenEstimator
{
    private const int PerMessage = 3;
    private const int ReplyPriming = 3;

    private static readonly Lazy<Tokenizer> Encoding = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    /// <summary>Tokens of a chat prompt (system and user message).</summary>
    public static int PromptTokens(TeacherPrompt prompt)
    {
        var tokens = ReplyPriming + PerMessage + Count(prompt.User);
        if (!string.IsNullOrEmpty(prompt.System))
        {
            tokens += PerMessage + Count(prompt.System);
        }
        return tokens;
    }

    /// <summary>Tokens of a text.</summary>
    public static int Count(string text) => string.IsNullOrEmpty(text) ? 0 : Encoding.Value.CountTokens(text);
}
