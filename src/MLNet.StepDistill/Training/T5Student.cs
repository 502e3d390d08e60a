using MLNet.StepDistill.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>The trainer's view of a <see cref="T5ForConditionalGeneration"/> with its tokenizer and length limits.</summary>
internal sealed class T5Student : ISeq2SeqStudent
{
    private readonly T5Tokenizer tokenizer;

    public T5Student(T5ForConditionalGeneration model, int maxInputLength, int maxTargetLength)
    {
        Model = model;
        tokenizer = model.Tokenizer ?? throw new ArgumentException("The student has no tokenizer (spiece.model).");
        MaxInputLength = maxInputLength;
        MaxTargetLength = maxTargetLength;
    }

    public T5ForConditionalGeneration Model { get; }

    public nn.Module Module => Model;

    public int MaxInputLength { get; }

    public int MaxTargetLength { get; }

    /// <summary>
    /// Creates the student the options name: a Hugging Face folder, or a preset with fresh weights (seed torch first) and
    /// the tokenizer of <see cref="MultiTaskSeq2SeqTrainer.Options.TokenizerPath"/> (default: the shipped one).
    /// </summary>
    public static T5Student Create(MultiTaskSeq2SeqTrainer.Options options, string deviceName)
    {
        var device = T5Devices.Parse(deviceName);
        T5ForConditionalGeneration model;
        if (Directory.Exists(options.Student))
        {
            model = T5ForConditionalGeneration.FromPretrained(options.Student, device, options.Precision);
        }
        else
        {
            var tokenizerPath = options.TokenizerPath ?? ShippedTokenizer.Find();
            var tokenizer = T5Tokenizer.FromFile(tokenizerPath);
            T5Config config;
            try
            {
                config = T5Presets.Get(options.Student, tokenizer.VocabSize);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"Options.{nameof(options.Student)}: \"{options.Student}\" is neither a folder nor a preset. {ex.Message}", ex);
            }

            model = new T5ForConditionalGeneration(config, tokenizer).To(device, options.Precision);
        }

        return new T5Student(model, options.MaxInputLength, options.MaxTargetLength);
    }

    /// <summary>Loads a student that <see cref="SavePretrained"/> wrote.</summary>
    public static T5Student Load(string folder, StudentHead head, string device) =>
        new(T5ForConditionalGeneration.FromPretrained(folder, T5Devices.Parse(device), null), head.MaxInputLength, head.MaxTargetLength);

    public Tensor Loss(IReadOnlyList<string> inputs, IReadOnlyList<string> targets)
    {
        using var source = tokenizer.EncodeBatch(inputs, MaxInputLength);
        using var target = tokenizer.EncodeBatch(targets, MaxTargetLength);
        using var labels = target.ToLabels();
        var output = Model.Forward(source.InputIds, source.AttentionMask, labels: labels);
        return output.Loss!;
    }

    public float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates)
    {
        var result = new float[inputs.Count][];
        for (var i = 0; i < inputs.Count; i++)
        {
            if (candidates[i].Count == 0)
            {
                result[i] = [];
                continue;
            }

            using var scope = NewDisposeScope();
            using var source = tokenizer.EncodeBatch([inputs[i]], MaxInputLength);
            using var target = tokenizer.EncodeBatch(candidates[i], MaxTargetLength);
            var scores = Model.ScoreCandidates(source.InputIds, source.AttentionMask, target.ToLabels());
            result[i] = Enumerable.Range(0, candidates[i].Count).Select(c => scores[0, c].LogLikelihood).ToArray();
        }

        return result;
    }

    public string[] Generate(IReadOnlyList<string> inputs) =>
        Model.Generate(inputs, new T5GenerationOptions { MaxNewTokens = MaxTargetLength }, MaxInputLength).ToArray();

    public void SavePretrained(string folder) => Model.SavePretrained(folder);

    public void Dispose() => Model.Dispose();
}
