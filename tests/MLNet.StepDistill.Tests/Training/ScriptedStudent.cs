using System.Globalization;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// A two-weight stand-in for T5 that makes the loop's arithmetic checkable: the loss of rows "row i" is
/// mean((w0 * i + w1 - 1)^2) + (layer_norm - 2)^2, and each validation answers a scripted share of the rows right.
/// It records the micro-batch sizes it was given and the weights at each validation.
/// </summary>
internal sealed class ScriptedStudent(params double[] validationAccuracies) : ISeq2SeqStudent
{
    private readonly TwoWeights module = new();

    public nn.Module Module => module;

    public List<int> MicroBatchSizes { get; } = [];

    /// <summary>The weights w at each validation, in order.</summary>
    public List<float[]> WeightsAtValidation { get; } = [];

    public float[] W => module.w.detach().data<float>().ToArray();

    public float LayerNorm => module.layer_norm.detach().data<float>()[0];

    public float[] WGradient => module.w.grad!.data<float>().ToArray();

    public float LayerNormGradient => module.layer_norm.grad!.data<float>()[0];

    public static TrainingRow[] Rows(int count, string label = "yes") =>
        Enumerable.Range(1, count).Select(i => new TrainingRow($"row {i}", label, null, [])).ToArray();

    public Tensor Loss(IReadOnlyList<string> inputs, IReadOnlyList<string> targets)
    {
        MicroBatchSizes.Add(inputs.Count);
        var x = tensor(inputs.Select(i => float.Parse(i[(i.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToArray());
        var prediction = x * module.w[0] + module.w[1];
        return (prediction - 1).pow(2).mean() + (module.layer_norm - 2).pow(2).sum();
    }

    /// <summary>When set, the text answered at (validation index, row index) instead of the scripted accuracy's yes/no.</summary>
    public Func<int, int, string>? ScriptedText { get; init; }

    public string[] Generate(IReadOnlyList<string> inputs)
    {
        if (ScriptedText is { } text)
        {
            var validation = WeightsAtValidation.Count;
            WeightsAtValidation.Add(W);
            return inputs.Select((_, i) => text(validation, i)).ToArray();
        }

        var accuracy = validationAccuracies[Math.Min(WeightsAtValidation.Count, validationAccuracies.Length - 1)];
        WeightsAtValidation.Add(W);
        var right = (int)Math.Round(accuracy * inputs.Count);
        return inputs.Select((_, i) => i < right ? "yes" : "no").ToArray();
    }

    public float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates, ScoreAggregation aggregation = ScoreAggregation.Sum) =>
        throw new NotSupportedException("open-text student");

    public void SavePretrained(string folder) => throw new NotSupportedException();

    public void Dispose() => module.Dispose();

    private sealed class TwoWeights : nn.Module
    {
#pragma warning disable IDE1006 // torch parameter names
        public readonly TorchSharp.Modules.Parameter w = nn.Parameter(tensor(new[] { 0.5f, -0.25f }));
        public readonly TorchSharp.Modules.Parameter layer_norm = nn.Parameter(tensor(new[] { 1.5f }));
#pragma warning restore IDE1006

        public TwoWeights()
            : base(nameof(TwoWeights)) => RegisterComponents();
    }
}
