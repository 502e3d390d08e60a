namespace MLNet.StepDistill.Onnx;

/// <summary>
/// What the encoder graph returns for a batch: the hidden states and, per decoder block, the cross-attention keys and
/// values (computed once, reused by every decoder step), with the source mask they go with.
/// </summary>
public sealed class OnnxEncoderOutput
{
    internal OnnxEncoderOutput(int rows, int length, int dModel, float[] hidden, float[][] crossKeys, float[][] crossValues, long[] mask)
    {
        Rows = rows;
        Length = length;
        DModel = dModel;
        HiddenStates = hidden;
        CrossKeys = crossKeys;
        CrossValues = crossValues;
        Mask = mask;
    }

    /// <summary>Batch rows.</summary>
    public int Rows { get; }

    /// <summary>Source length (padded).</summary>
    public int Length { get; }

    /// <summary>Width of a hidden state.</summary>
    public int DModel { get; }

    /// <summary>Encoder hidden states [rows, length, d_model], row-major.</summary>
    public float[] HiddenStates { get; }

    /// <summary>Per decoder block: cross-attention keys [rows, heads, length, d_kv].</summary>
    internal float[][] CrossKeys { get; }

    /// <summary>Per decoder block: cross-attention values [rows, heads, length, d_kv].</summary>
    internal float[][] CrossValues { get; }

    /// <summary>The source mask [rows, length] (1 token, 0 padding).</summary>
    internal long[] Mask { get; }

    /// <summary>Each row repeated <paramref name="times"/> times in place (row r becomes rows r*times .. r*times+times-1), as torch's repeat_interleave.</summary>
    internal OnnxEncoderOutput RepeatRows(int times) => SelectRows(Enumerable.Range(0, Rows * times).Select(r => r / times).ToArray());

    /// <summary>The rows <paramref name="rows"/> of this output, in that order.</summary>
    internal OnnxEncoderOutput SelectRows(IReadOnlyList<int> rows) => new(
        rows.Count,
        Length,
        DModel,
        Select(HiddenStates, rows, Length * DModel),
        CrossKeys.Select(k => Select(k, rows, k.Length / Rows)).ToArray(),
        CrossValues.Select(v => Select(v, rows, v.Length / Rows)).ToArray(),
        Select(Mask, rows, Length));

    internal static T[] Select<T>(T[] source, IReadOnlyList<int> rows, int rowSize)
    {
        var result = new T[rows.Count * rowSize];
        for (var i = 0; i < rows.Count; i++)
        {
            Array.Copy(source, (long)rows[i] * rowSize, result, (long)i * rowSize, rowSize);
        }

        return result;
    }
}
