using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.T5;

/// <summary>
/// T5's tokenizer: the SentencePiece unigram model <c>spiece.model</c> run by Microsoft.ML.Tokenizers, with T5's
/// conventions (EOS appended, pad 0, unk 2, <c>&lt;extra_id_N&gt;</c> sentinels above the SentencePiece vocabulary)
/// and the same ids, pieces and decoded text as the <c>sentencepiece</c> library.
/// </summary>
/// <remarks>
/// Two differences between Microsoft.ML.Tokenizers 2.0.1 and sentencepiece are corrected here: a run of unknown
/// characters is one unk piece (sentencepiece merges them), and unk decodes to " \u2047 " (sentencepiece's
/// unk surface) rather than vanishing. T5 models (bos_id -1) are loaded through a repaired copy of the model (see
/// <c>SentencePieceModelFile.ForMicrosoftTokenizer</c>).
/// <para>
/// As in Hugging Face's T5 tokenizers (legacy behaviour), special-token text inside an input is the special token:
/// <c>&lt;/s&gt;</c> is EOS, <c>&lt;pad&gt;</c> pad, <c>&lt;unk&gt;</c> unk, and <c>&lt;extra_id_N&gt;</c> the sentinel when
/// the model has it (otherwise plain text). The text between them is encoded by SentencePiece one part at a time, each
/// with its own dummy-prefix space: <c>"a&lt;/s&gt;b"</c> is the pieces of <c>"a"</c>, EOS, the pieces of <c>"b"</c>.
/// This is what makes the NLI input <c>"{premise}&lt;/s&gt;{hypothesis}"</c> carry EOS between its parts.
/// </para>
/// </remarks>
public sealed class T5Tokenizer
{
    /// <summary>The file name Hugging Face uses for T5's SentencePiece model.</summary>
    public const string ModelFileName = "spiece.model";

    /// <summary>What sentencepiece prints for an unknown piece.</summary>
    public const string UnknownSurface = " \u2047 ";

    private static readonly Regex SentinelPattern = new(@"^<extra_id_(\d+)>$", RegexOptions.CultureInvariant);

    private readonly SentencePieceTokenizer tokenizer;
    private readonly SentencePieceModelFile model;
    private readonly T5SpecialTokenText specialTokens;

    private T5Tokenizer(SentencePieceModelFile model, int sentinelCount)
    {
        this.model = model;
        using var stream = new MemoryStream(model.ForMicrosoftTokenizer());
        tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        SentinelCount = sentinelCount;
        specialTokens = new T5SpecialTokenText(
            new[] { PadId, EosId, UnkId }.Distinct().Select(id => (model.Pieces[id].Piece, id))
                .Concat(Enumerable.Range(0, sentinelCount).Select(n => (SentinelText(n), SentinelId(n)))));
    }

    /// <summary>Size of the SentencePiece vocabulary (without sentinels).</summary>
    public int SentencePieceVocabSize => model.Pieces.Count;

    /// <summary>Number of <c>&lt;extra_id_N&gt;</c> sentinel tokens above the SentencePiece vocabulary.</summary>
    public int SentinelCount { get; }

    /// <summary>Number of token ids this tokenizer produces or decodes (SentencePiece pieces plus sentinels).</summary>
    public int VocabSize => SentencePieceVocabSize + SentinelCount;

    /// <summary>The padding id (0 for T5).</summary>
    public int PadId => model.PadId;

    /// <summary>The end-of-sequence id appended to every encoding (1 for T5).</summary>
    public int EosId => model.EosId;

    /// <summary>The unknown-piece id (2 for T5).</summary>
    public int UnkId => model.UnkId;

    /// <summary>
    /// Loads <c>spiece.model</c>. <paramref name="modelVocabSize"/> is the model's <c>vocab_size</c>: when it exceeds the
    /// SentencePiece vocabulary, the ids above it are sentinels, up to 100 as HF's <c>extra_ids</c> (<c>&lt;extra_id_0&gt;</c>
    /// is the highest).
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="ModelFormatException">Not a SentencePiece model, or T5's special ids are missing (the message names the file).</exception>
    public static T5Tokenizer FromFile(string path, int? modelVocabSize = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        }

        if (new FileInfo(path).Length > SentencePieceModelFile.MaxFileBytes)
        {
            throw new ModelFormatException(path, $"the SentencePiece model is {new FileInfo(path).Length} bytes; the limit is {SentencePieceModelFile.MaxFileBytes}.");
        }

        var model = SentencePieceModelFile.Parse(File.ReadAllBytes(path), path);
        if (model.PadId < 0)
        {
            throw new ModelFormatException(path, "the SentencePiece model has no pad id; T5 needs pad (0), eos (1) and unk (2).");
        }

        var sentinels = modelVocabSize is { } size ? Math.Clamp(size - model.Pieces.Count, 0, 100) : 0;
        try
        {
            return new T5Tokenizer(model, sentinels);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Its protobuf parser reads fields ours skips (e.g. "String is invalid UTF-8"): any error is the file's.
            throw new ModelFormatException(path, $"Microsoft.ML.Tokenizers could not load the SentencePiece model: {ex.Message}", ex);
        }
    }

    /// <summary>The id of sentinel <c>&lt;extra_id_<paramref name="index"/>&gt;</c>.</summary>
    public int SentinelId(int index)
    {
        if (index < 0 || index >= SentinelCount)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"This tokenizer has {SentinelCount} sentinels.");
        }

        return VocabSize - 1 - index;
    }

    /// <summary>
    /// Ids and pieces of <paramref name="text"/>, no EOS: special-token text (<c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>,
    /// <c>&lt;unk&gt;</c>, this model's <c>&lt;extra_id_N&gt;</c>) is that token, with its text as the piece, and the
    /// text between is SentencePiece's segmentation as <c>sp.encode</c> gives it for each part alone.
    /// </summary>
    public IReadOnlyList<(int Id, string Piece)> Tokenize(string text)
    {
        var result = new List<(int Id, string Piece)>();
        foreach (var (part, specialId) in specialTokens.Split(text))
        {
            if (specialId is { } id)
            {
                result.Add((id, part));
            }
            else
            {
                TokenizePlain(part, result);
            }
        }

        return result;
    }

    private void TokenizePlain(string text, List<(int Id, string Piece)> result)
    {
        var tokens = tokenizer.EncodeToTokens(text, out _, addBeginningOfSentence: false, addEndOfSentence: false);
        var first = result.Count;
        foreach (var token in tokens)
        {
            if (token.Id == UnkId && result.Count > first && result[^1].Id == UnkId)
            {
                result[^1] = (UnkId, result[^1].Piece + token.Value);
            }
            else
            {
                result.Add((token.Id, token.Value));
            }
        }
    }

    /// <summary>Token ids of <paramref name="text"/>, EOS appended unless <paramref name="addEos"/> is false.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addEos">Append EOS (T5's tokenizer does).</param>
    /// <param name="maxLength">Truncate to this many ids, EOS kept as the last one.</param>
    public int[] Encode(string text, bool addEos = true, int? maxLength = null)
    {
        var ids = Tokenize(text).Select(t => t.Id);
        if (maxLength is { } limit)
        {
            if (limit < (addEos ? 1 : 0))
            {
                throw new ArgumentOutOfRangeException(nameof(maxLength), limit, "maxLength must leave room for EOS.");
            }

            ids = ids.Take(addEos ? limit - 1 : limit);
        }

        return addEos ? ids.Append(EosId).ToArray() : ids.ToArray();
    }

    /// <summary>
    /// Encodes a batch: EOS appended, truncated to <paramref name="maxLength"/> (EOS kept), padded with pad to the longest
    /// row (or to <paramref name="maxLength"/> when <paramref name="padToMaxLength"/>). The ids and mask are row-major
    /// arrays, ready for any tensor runtime (TorchSharp's <c>EncodeBatch</c> and ONNX Runtime both build on this).
    /// </summary>
    public T5PaddedIds EncodePadded(IReadOnlyList<string> texts, int? maxLength = null, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var rows = texts.Select(t => Encode(t, addEos: true, maxLength)).ToArray();
        var width = padToMaxLength && maxLength is { } m ? m : Math.Max(1, rows.Length == 0 ? 1 : rows.Max(r => r.Length));
        var ids = new long[rows.Length * width];
        var mask = new long[rows.Length * width];
        Array.Fill(ids, PadId);
        for (var i = 0; i < rows.Length; i++)
        {
            for (var j = 0; j < rows[i].Length; j++)
            {
                ids[i * width + j] = rows[i][j];
                mask[i * width + j] = 1;
            }
        }

        return new T5PaddedIds(ids, mask, rows.Length, width);
    }

    /// <summary>
    /// Text of <paramref name="ids"/> as <c>sp.decode</c> gives it: control pieces (pad, EOS) vanish, unk is " \u2047 ",
    /// the dummy-prefix space is dropped. Sentinels are skipped when <paramref name="skipSpecialTokens"/>, else written
    /// as <c>&lt;extra_id_N&gt;</c>; with it false, pad, EOS and unk are written as their pieces too (<c>&lt;pad&gt;</c>,
    /// <c>&lt;/s&gt;</c>, <c>&lt;unk&gt;</c>), which <see cref="Encode"/> reads back as the same special ids.
    /// </summary>
    public string Decode(IEnumerable<long> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        var pending = new StringBuilder();
        var atStart = true;

        void Flush()
        {
            if (pending.Length == 0)
            {
                return;
            }

            var chunk = pending.ToString();
            if (atStart && chunk.StartsWith('\u2581'))
            {
                chunk = chunk[1..];
            }

            text.Append(chunk.Replace('\u2581', ' '));
            atStart = false;
            pending.Clear();
        }

        foreach (var id in ids)
        {
            if (id >= SentencePieceVocabSize && id < VocabSize)
            {
                if (!skipSpecialTokens)
                {
                    Flush();
                    text.Append(SentinelText(VocabSize - 1 - (int)id));
                    atStart = false;
                }

                continue;
            }

            if (id < 0 || id >= VocabSize)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary (size {VocabSize}).");
            }

            var (piece, type) = model.Pieces[(int)id];
            switch (type)
            {
                case SentencePieceModelFile.PieceType.Control:
                    if (!skipSpecialTokens)
                    {
                        Flush();
                        text.Append(piece);
                        atStart = false;
                    }

                    break;
                case SentencePieceModelFile.PieceType.Unknown:
                    Flush();
                    text.Append(skipSpecialTokens ? UnknownSurface : piece);
                    atStart = false;
                    break;
                default:
                    pending.Append(piece);
                    break;
            }
        }

        Flush();
        return text.ToString();
    }

    /// <summary>Decodes <paramref name="ids"/> (int overload of <see cref="Decode(IEnumerable{long}, bool)"/>).</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) => Decode(ids.Select(i => (long)i), skipSpecialTokens);

    /// <summary>The id of a sentinel written as <c>&lt;extra_id_N&gt;</c>, or null for any other text.</summary>
    public int? SentinelIdOf(string token)
    {
        var match = SentinelPattern.Match(token);
        return match.Success && int.TryParse(match.Groups[1].Value, out var n) && n < SentinelCount ? SentinelId(n) : null;
    }

    private static string SentinelText(int index) => $"<extra_id_{index}>";

    /// <summary>Writes the original <c>spiece.model</c> bytes.</summary>
    public void SaveModel(string path) => File.WriteAllBytes(path, model.Bytes);
}
