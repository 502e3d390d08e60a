using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// T5 multi-head attention (HF <c>T5Attention</c>): no 1/sqrt(d) scaling, an additive bias (relative positions plus
/// mask) on the scores, softmax in float32. The first block's self-attention owns the relative-position embedding and
/// computes the bias every block of its stack reuses.
/// </summary>
internal sealed class T5Attention : nn.Module
{
#pragma warning disable IDE1006 // names are the checkpoint keys
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;
    private readonly Embedding? relative_attention_bias;
#pragma warning restore IDE1006
    private readonly int heads;
    private readonly int headSize;
    private readonly bool isDecoder;
    private readonly int numBuckets;
    private readonly int maxDistance;
    private readonly T5Dropout dropout;
    private readonly T5Autocast autocast;

    public T5Attention(T5Config config, bool isDecoder, bool hasRelativeAttentionBias, T5Autocast autocast) : base(nameof(T5Attention))
    {
        heads = config.NumHeads;
        headSize = config.DKv;
        var inner = heads * headSize;
        q = nn.Linear(config.DModel, inner, hasBias: false);
        k = nn.Linear(config.DModel, inner, hasBias: false);
        v = nn.Linear(config.DModel, inner, hasBias: false);
        o = nn.Linear(inner, config.DModel, hasBias: false);
        if (hasRelativeAttentionBias)
        {
            relative_attention_bias = nn.Embedding(config.RelativeAttentionNumBuckets, heads);
        }

        this.isDecoder = isDecoder;
        numBuckets = config.RelativeAttentionNumBuckets;
        maxDistance = config.RelativeAttentionMaxDistance;
        dropout = new T5Dropout(config.DropoutRate);
        this.autocast = autocast;
        RegisterComponents();
    }

    /// <summary>
    /// The relative-position bias [1, heads, queryLength, keyLength] for queries at positions
    /// <paramref name="queryOffset"/>.. and keys at 0..keyLength-1.
    /// </summary>
    public Tensor ComputeBias(long queryLength, long keyLength, long queryOffset, Device device)
    {
        if (relative_attention_bias is null)
        {
            throw new InvalidOperationException("Only the first block's self-attention has a relative attention bias.");
        }

        using var scope = NewDisposeScope();
        using var first = queryOffset.ToScalar();   // arange's bounds held for the call (architecture.md, "Things known to bite")
        using var end = (queryOffset + queryLength).ToScalar();
        using var zero = 0L.ToScalar();
        using var keys = keyLength.ToScalar();
        var context = arange(first, end, dtype: int64, device: device).unsqueeze(1);
        var memory = arange(zero, keys, dtype: int64, device: device).unsqueeze(0);
        var buckets = T5RelativePosition.Bucket(memory - context, bidirectional: !isDecoder, numBuckets, maxDistance);
        var values = relative_attention_bias.forward(buckets);
        return values.permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Attends from <paramref name="hidden"/> [B, q, d] to itself (self-attention) or to <paramref name="keyValueStates"/>
    /// (cross-attention), adding <paramref name="bias"/> (broadcastable to [B, heads, q, k]) to the scores.
    /// With a <paramref name="cache"/>, self-attention appends this step's keys/values and cross-attention projects the
    /// encoder states once.
    /// </summary>
    public Tensor Forward(Tensor hidden, Tensor? bias, Tensor? keyValueStates = null, T5LayerCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var queryLength = hidden.shape[1];
        var query = Shape(autocast.Linear(q, hidden), batch);
        Tensor key, value;
        if (keyValueStates is null)
        {
            key = Shape(autocast.Linear(k, hidden), batch);
            value = Shape(autocast.Linear(v, hidden), batch);
            if (cache is not null)
            {
                (key, value) = cache.AppendSelf(key, value);
            }
        }
        else if (cache?.CrossKey is { } cachedKey && cache.CrossValue is { } cachedValue)
        {
            if (cachedKey.shape[0] != batch)
            {
                return GroupedCrossAttention(query, cachedKey, cachedValue, bias).MoveToOuterDisposeScope();
            }

            (key, value) = (cachedKey, cachedValue);
        }
        else
        {
            key = Shape(autocast.Linear(k, keyValueStates), batch);
            value = Shape(autocast.Linear(v, keyValueStates), batch);
            cache?.SetCross(key, value);
        }

        var scores = autocast.MatMul(query, key.transpose(2, 3));
        if (bias is not null)
        {
            scores = scores + bias;
        }

        var weights = scores.to(float32).softmax(-1).to(value.dtype);
        weights = dropout.forward(weights);
        var context = autocast.MatMul(weights, value).transpose(1, 2).reshape(batch, queryLength, heads * headSize);
        return autocast.Linear(o, context).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cross-attention of B*G decoder rows to B cached encoder rows (G consecutive decoder rows per input, after
    /// <see cref="T5LayerCache.RepeatSelfRows"/>): the G rows' queries are laid side by side as one longer query of their
    /// input, which is exact because cross-attention has no position bias and its mask depends only on the input.
    /// </summary>
    private Tensor GroupedCrossAttention(Tensor query, Tensor key, Tensor value, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        var rows = query.shape[0];
        var inputs = key.shape[0];
        if (rows % inputs != 0)
        {
            throw new InvalidOperationException($"{rows} decoder rows cannot share {inputs} cached encoder rows.");
        }

        var group = rows / inputs;
        var queryLength = query.shape[2];
        var grouped = query.view(inputs, group, heads, queryLength, headSize).permute(0, 2, 1, 3, 4).reshape(inputs, heads, group * queryLength, headSize);
        var scores = autocast.MatMul(grouped, key.transpose(2, 3));
        if (bias is not null)
        {
            scores = scores + bias;
        }

        var weights = scores.to(float32).softmax(-1).to(value.dtype);
        weights = dropout.forward(weights);
        var context = autocast.MatMul(weights, value)
            .view(inputs, heads, group, queryLength, headSize)
            .permute(0, 2, 3, 1, 4)
            .reshape(rows, queryLength, heads * headSize);
        return autocast.Linear(o, context).MoveToOuterDisposeScope();
    }

    private Tensor Shape(Tensor projected, long batch) => projected.view(batch, -1, heads, headSize).transpose(1, 2);
}
