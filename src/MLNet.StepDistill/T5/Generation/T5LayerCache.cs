using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Keys and values one decoder block keeps between generation steps: self-attention ones grow by one position per
/// step, cross-attention ones are projected from the encoder output once. The cache owns its tensors (they live
/// outside any dispose scope) and frees the ones it replaces.
/// </summary>
internal sealed class T5LayerCache : IDisposable
{
    public Tensor? SelfKey { get; private set; }

    public Tensor? SelfValue { get; private set; }

    public Tensor? CrossKey { get; private set; }

    public Tensor? CrossValue { get; private set; }

    /// <summary>Number of decoder positions already cached.</summary>
    public long Length => SelfKey?.shape[2] ?? 0;

    /// <summary>Appends this step's self-attention keys/values [B, H, q, d] and returns the full ones.</summary>
    public (Tensor Key, Tensor Value) AppendSelf(Tensor key, Tensor value)
    {
        var fullKey = SelfKey is null ? key.alias() : cat([SelfKey, key], 2);
        var fullValue = SelfValue is null ? value.alias() : cat([SelfValue, value], 2);
        Replace(SelfKey, fullKey);
        Replace(SelfValue, fullValue);
        SelfKey = fullKey.DetachFromDisposeScope();
        SelfValue = fullValue.DetachFromDisposeScope();
        return (SelfKey, SelfValue);
    }

    /// <summary>Stores the cross-attention keys/values (once per generation).</summary>
    public void SetCross(Tensor key, Tensor value)
    {
        CrossKey = key.DetachFromDisposeScope();
        CrossValue = value.DetachFromDisposeScope();
    }

    /// <summary>
    /// Repeats every self-attention row <paramref name="times"/> times in place (row i becomes rows i*times ..
    /// i*times+times-1), so that several continuations of one prefix decode together. The cross-attention keys and values
    /// stay one row per input: <see cref="T5Attention"/> lets each group of <paramref name="times"/> decoder rows attend
    /// to its input's row without copying it.
    /// </summary>
    public void RepeatSelfRows(long times)
    {
        SelfKey = Repeat(SelfKey, times);
        SelfValue = Repeat(SelfValue, times);
    }

    /// <summary>Reorders the batch rows (beam search): row i becomes old row <paramref name="rows"/>[i].</summary>
    public void Reorder(Tensor rows)
    {
        SelfKey = Select(SelfKey, rows);
        SelfValue = Select(SelfValue, rows);
        CrossKey = Select(CrossKey, rows);
        CrossValue = Select(CrossValue, rows);
    }

    public void Dispose()
    {
        SelfKey?.Dispose();
        SelfValue?.Dispose();
        CrossKey?.Dispose();
        CrossValue?.Dispose();
        SelfKey = SelfValue = CrossKey = CrossValue = null;
    }

    private static Tensor? Select(Tensor? tensor, Tensor rows)
    {
        if (tensor is null)
        {
            return null;
        }

        var selected = tensor.index_select(0, rows).DetachFromDisposeScope();
        tensor.Dispose();
        return selected;
    }

    private static Tensor? Repeat(Tensor? tensor, long times)
    {
        if (tensor is null)
        {
            return null;
        }

        var repeated = tensor.repeat_interleave(times, dim: 0).DetachFromDisposeScope();
        tensor.Dispose();
        return repeated;
    }

    private static void Replace(Tensor? old, Tensor replacement)
    {
        if (old is not null && !ReferenceEquals(old, replacement))
        {
            old.Dispose();
        }
    }
}
