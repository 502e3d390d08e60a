namespace MLNet.StepDistill.T5;

/// <summary>
/// A padded batch of token ids as plain arrays: <see cref="Rows"/> x <see cref="Width"/>, row-major, pad after each row's
/// EOS, with the attention mask (1 for real tokens, 0 for padding) beside it.
/// </summary>
/// <param name="Ids">Token ids, row-major.</param>
/// <param name="Mask">1 for real tokens, 0 for padding, row-major.</param>
/// <param name="Rows">The number of rows (texts).</param>
/// <param name="Width">The padded length of every row.</param>
public sealed record T5PaddedIds(long[] Ids, long[] Mask, int Rows, int Width);
