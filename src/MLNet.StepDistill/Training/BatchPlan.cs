namespace MLNet.StepDistill.Training;

/// <summary>
/// Which rows each optimiser step trains on: every epoch is a fresh permutation drawn from (seed, epoch), cut into
/// batches in order. The rows of a step depend only on its index, so a resumed run sees the same batches.
/// </summary>
/// <remarks>
/// With a length-bucket window (and the rows' lengths), each consecutive window of the permutation (rounded up to whole
/// batches) is sorted by length, cut into batches, and its whole batches are shuffled again by (seed, epoch): batches
/// hold rows of similar length, so they pad less, and still come in a seeded random order. The epoch's last, smaller
/// batch stays last. Without a window the plan is exactly the unbucketed one.
/// </remarks>
internal sealed class BatchPlan
{
    private readonly int rowCount;
    private readonly int batchSize;
    private readonly int seed;
    private readonly int[]? lengths;
    private readonly int window;
    private int cachedEpoch = -1;
    private int[] cachedOrder = [];

    /// <param name="rowCount">Rows to train on.</param>
    /// <param name="batchSize">Rows per step (capped at <paramref name="rowCount"/>).</param>
    /// <param name="seed">The seed of the order.</param>
    /// <param name="lengths">Each row's length (any monotone measure, e.g. characters), needed for <paramref name="bucketWindow"/>.</param>
    /// <param name="bucketWindow">0 or 1: no bucketing; N: sort each window of N rows (rounded up to whole batches) by length.</param>
    public BatchPlan(int rowCount, int batchSize, int seed, IReadOnlyList<int>? lengths = null, int bucketWindow = 0)
    {
        if (rowCount <= 0)
        {
            throw new ArgumentException("There are no training rows with a label or rationale to learn.");
        }

        if (bucketWindow > 1 && (lengths is null || lengths.Count != rowCount))
        {
            throw new ArgumentException($"Length bucketing needs one length per row ({rowCount}), got {lengths?.Count.ToString() ?? "none"}.", nameof(lengths));
        }

        this.rowCount = rowCount;
        this.batchSize = Math.Min(batchSize, rowCount);
        this.seed = seed;
        StepsPerEpoch = (rowCount + this.batchSize - 1) / this.batchSize;
        if (bucketWindow > 1)
        {
            this.lengths = lengths!.ToArray();
            window = (bucketWindow + this.batchSize - 1) / this.batchSize * this.batchSize;
        }
    }

    /// <summary>Optimiser steps in one pass over the rows (the last batch may be smaller).</summary>
    public int StepsPerEpoch { get; }

    /// <summary>The 0-based epoch of a 0-based step.</summary>
    public int EpochOf(int step) => step / StepsPerEpoch;

    /// <summary>The row indices of a 0-based step.</summary>
    public int[] RowsOf(int step)
    {
        var epoch = EpochOf(step);
        if (epoch != cachedEpoch)
        {
            cachedOrder = Enumerable.Range(0, rowCount).ToArray();
            new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(cachedOrder);
            if (lengths is not null)
            {
                Bucket(cachedOrder, new Random(unchecked(seed * 1_000_003 + epoch) ^ 0x5bd1e995));
            }

            cachedEpoch = epoch;
        }

        var start = step % StepsPerEpoch * batchSize;
        return cachedOrder[start..Math.Min(rowCount, start + batchSize)];
    }

    private void Bucket(int[] order, Random random)
    {
        for (var start = 0; start < order.Length; start += window)
        {
            var segment = order.AsSpan(start, Math.Min(window, order.Length - start));
            var sorted = segment.ToArray().Select((row, position) => (row, position))
                .OrderBy(p => lengths![p.row]).ThenBy(p => p.position).Select(p => p.row).ToArray();
            var whole = sorted.Length / batchSize;
            var batchOrder = Enumerable.Range(0, whole).ToArray();
            random.Shuffle(batchOrder);
            for (var b = 0; b < whole; b++)
            {
                sorted.AsSpan(batchOrder[b] * batchSize, batchSize).CopyTo(segment[(b * batchSize)..]);
            }

            sorted.AsSpan(whole * batchSize).CopyTo(segment[(whole * batchSize)..]);
        }
    }
}
