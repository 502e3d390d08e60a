using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>The key/value cache of the whole decoder during generation: one <see cref="T5LayerCache"/> per block.</summary>
internal sealed class T5DecoderCache : IDisposable
{
    private readonly T5LayerCache[] layers;

    public T5DecoderCache(int layerCount)
    {
        layers = Enumerable.Range(0, layerCount).Select(_ => new T5LayerCache()).ToArray();
    }

    public T5LayerCache this[int layer] => layers[layer];

    /// <summary>Number of decoder positions already cached.</summary>
    public long Length => layers[0].Length;

    /// <summary>Repeats every self-attention row of every layer <paramref name="times"/> times (see <see cref="T5LayerCache.RepeatSelfRows"/>).</summary>
    public void RepeatSelfRows(long times)
    {
        foreach (var layer in layers)
        {
            layer.RepeatSelfRows(times);
        }
    }

    /// <summary>Reorders the batch rows of every layer (beam search).</summary>
    public void Reorder(Tensor rows)
    {
        foreach (var layer in layers)
        {
            layer.Reorder(rows);
        }
    }

    public void Dispose()
    {
        foreach (var layer in layers)
        {
            layer.Dispose();
        }
    }
}
