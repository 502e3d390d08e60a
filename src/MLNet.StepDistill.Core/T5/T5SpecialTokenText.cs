using System.Text.RegularExpressions;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The texts that stand for T5's special tokens inside an input (<c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>,
/// <c>&lt;extra_id_N&gt;</c>) and the split of a text on them, as Hugging Face's T5 tokenizers do before SentencePiece
/// runs: exact, case-sensitive strings, leftmost-longest match, no whitespace stripped around them.
/// </summary>
internal sealed class T5SpecialTokenText
{
    private readonly Dictionary<string, int> idsByText;
    private readonly Regex pattern;

    /// <param name="tokens">Each special token's text and id; texts must be distinct and non-empty.</param>
    public T5SpecialTokenText(IEnumerable<(string Text, int Id)> tokens)
    {
        idsByText = tokens.ToDictionary(t => t.Text, t => t.Id, StringComparer.Ordinal);
        // Longer texts first: .NET tries alternatives in order, so the longest text starting at a position wins.
        var alternatives = idsByText.Keys
            .OrderByDescending(text => text.Length)
            .ThenBy(text => text, StringComparer.Ordinal)
            .Select(Regex.Escape);
        pattern = new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// The parts of <paramref name="text"/> in order: plain text (<c>Id</c> null, never empty) and special tokens
    /// (<c>Text</c> the token's text, <c>Id</c> its id).
    /// </summary>
    public IEnumerable<(string Text, int? Id)> Split(string text)
    {
        var start = 0;
        for (var match = pattern.Match(text); match.Success; match = match.NextMatch())
        {
            if (match.Index > start)
            {
                yield return (text[start..match.Index], null);
            }

            yield return (match.Value, idsByText[match.Value]);
            start = match.Index + match.Length;
        }

        if (start < text.Length)
        {
            yield return (text[start..], null);
        }
    }
}
