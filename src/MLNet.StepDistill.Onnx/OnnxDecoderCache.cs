using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// One generation's decoder state in ONNX Runtime values: the cross-attention keys/values and source mask (set once),
/// and the self-attention cache, which each step's <c>present_*</c> outputs replace (fed back without a copy).
/// </summary>
internal sealed class OnnxDecoderCache : IDisposable
{
    private readonly OnnxT5Model model;
    private readonly List<OrtValue> fixedValues = [];
    private OrtValue[] pastKeys;
    private OrtValue[] pastValues;

    public OnnxDecoderCache(OnnxT5Model model, OnnxEncoderOutput encoded)
    {
        this.model = model;
        Rows = encoded.Rows;
        var facts = model.Manifest.Model;
        EncoderMask = Fixed(OrtValue.CreateTensorValueFromMemory(encoded.Mask, [Rows, encoded.Length]));
        CrossKeys = encoded.CrossKeys.Select(k => Fixed(OrtValue.CreateTensorValueFromMemory(k, [Rows, facts.NumHeads, encoded.Length, facts.DKv]))).ToArray();
        CrossValues = encoded.CrossValues.Select(v => Fixed(OrtValue.CreateTensorValueFromMemory(v, [Rows, facts.NumHeads, encoded.Length, facts.DKv]))).ToArray();
        pastKeys = Enumerable.Range(0, facts.DecoderLayers).Select(_ => Empty()).ToArray();
        pastValues = Enumerable.Range(0, facts.DecoderLayers).Select(_ => Empty()).ToArray();
    }

    public int Rows { get; }

    /// <summary>Decoder positions already cached.</summary>
    public int Length { get; private set; }

    public OrtValue EncoderMask { get; }

    public OrtValue[] CrossKeys { get; }

    public OrtValue[] CrossValues { get; }

    public IReadOnlyList<OrtValue> PastKeys => pastKeys;

    public IReadOnlyList<OrtValue> PastValues => pastValues;

    /// <summary>Takes the step's present keys/values (owned from now on) as the new past.</summary>
    public void Advance(OrtValue[] presentKeys, OrtValue[] presentValues, int steps)
    {
        DisposeAll(pastKeys);
        DisposeAll(pastValues);
        pastKeys = presentKeys;
        pastValues = presentValues;
        Length += steps;
    }

    /// <summary>Reorders the cache rows (beam search): row i becomes old row <paramref name="rows"/>[i].</summary>
    public void Reorder(IReadOnlyList<int> rows)
    {
        var facts = model.Manifest.Model;
        long[] shape = [Rows, facts.NumHeads, Length, facts.DKv];
        var rowSize = facts.NumHeads * Length * facts.DKv;
        OrtValue Select(OrtValue value) =>
            OrtValue.CreateTensorValueFromMemory(OnnxEncoderOutput.Select(value.GetTensorDataAsSpan<float>().ToArray(), rows, rowSize), shape);
        Advance(pastKeys.Select(Select).ToArray(), pastValues.Select(Select).ToArray(), steps: 0);
    }

    public void Dispose()
    {
        DisposeAll(pastKeys);
        DisposeAll(pastValues);
        fixedValues.ForEach(v => v.Dispose());
        fixedValues.Clear();
    }

    private OrtValue Empty()
    {
        var facts = model.Manifest.Model;
        return OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [Rows, facts.NumHeads, 0, facts.DKv]);
    }

    private OrtValue Fixed(OrtValue value)
    {
        fixedValues.Add(value);
        return value;
    }

    private static void DisposeAll(OrtValue[] values)
    {
        foreach (var value in values)
        {
            value.Dispose();
        }
    }
}
