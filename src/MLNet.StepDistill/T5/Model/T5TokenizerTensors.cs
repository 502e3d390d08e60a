using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>The tokenizer's batches as TorchSharp tensors.</summary>
public static class T5TokenizerTensors
{
    /// <summary>
    /// Encodes a batch as int64 CPU tensors: EOS appended, truncated to <paramref name="maxLength"/> (EOS kept), padded with
    /// pad to the longest row (or to <paramref name="maxLength"/> when <paramref name="padToMaxLength"/>).
    /// </summary>
    public static T5TokenizedBatch EncodeBatch(this T5Tokenizer tokenizer, IReadOnlyList<string> texts, int? maxLength = null, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var padded = tokenizer.EncodePadded(texts, maxLength, padToMaxLength);
        return new T5TokenizedBatch(tensor(padded.Ids, padded.Rows, padded.Width), tensor(padded.Mask, padded.Rows, padded.Width));
    }
}
