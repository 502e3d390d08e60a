namespace MLNet.StepDistill.Training;

/// <summary>
/// Which rows each optimiser step trains on: every epoch is a fresh permutation drawn from (seed, epoch), cut into
/// batches in order. The rows of a step depend only on its index, so a resumed run sees the same batches.
/// </summary>
internal sealed class BatchPlan
{
    private readonly int rowCount;
    private readonly int batchSize;
    private readonly int seed;
    private int cachedEpoch = -1;
    private int[] cachedOrder = [];

    public BatchPlan(int rowCount, int batchSize, int seed)
    {
        if (rowCount <= 0)
        {
            throw new ArgumentException("There are no training rows with a label or rationale to learn.");
        }

        this.rowCount = rowCount;
        this.batchSize = Math.Min(batchSize, rowCount);
        this.seed = seed;
        StepsPerEpoch = (rowCount + this.batchSize - 1) / this.batchSize;
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
            cachedEpoch = epoch;
        }

        var start = step % StepsPerEpoch * batchSize;
        return cachedOrder[start..Math.Min(rowCount, start + batchSize)];
    }
}
