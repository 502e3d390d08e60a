using System.Text;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>The original files the fuzz suite mutates: a micro T5 (a few thousand weights) in each format, and small datasets.</summary>
internal static class FuzzFixtures
{
    /// <summary>A T5 small enough that a thousand loads take seconds: d_model 8, one block each side, vocabulary 32.</summary>
    public static T5Config MicroConfig(int vocabSize = 32) => new()
    {
        VocabSize = vocabSize,
        DModel = 8,
        DKv = 4,
        DFf = 16,
        NumLayers = 1,
        NumHeads = 2,
        RelativeAttentionNumBuckets = 8,
        RelativeAttentionMaxDistance = 16,
        FeedForwardProj = "relu",
    };

    /// <summary>Writes a seeded micro T5 folder (config.json, model.safetensors) and returns its weights by name.</summary>
    public static Dictionary<string, float[]> WriteMicroModel(string folder, T5Config? config = null, T5Tokenizer? tokenizer = null)
    {
        torch.manual_seed(12);
        using var model = new T5ForConditionalGeneration(config ?? MicroConfig(), tokenizer);
        model.SavePretrained(folder);
        return Weights(model);
    }

    public static Dictionary<string, float[]> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu().to(ScalarType.Float32).data<float>().ToArray());

    public static bool SameWeights(Dictionary<string, float[]> expected, nn.Module model)
    {
        var actual = Weights(model);
        return actual.Count == expected.Count && expected.All(kv => actual.TryGetValue(kv.Key, out var a) && a.AsSpan().SequenceEqual(kv.Value));
    }

    /// <summary>The micro model's weights as a <c>torch.save</c> state dict (<c>pytorch_model.bin</c>) instead of safetensors.</summary>
    public static void RewriteAsPickle(string folder)
    {
        var weights = Safetensors.LoadStateDict(Path.Combine(folder, "model.safetensors"));
        PyTorchPickler.PickleStateDict(Path.Combine(folder, "pytorch_model.bin"), weights);
        foreach (var tensor in weights.Values)
        {
            tensor.Dispose();
        }

        File.Delete(Path.Combine(folder, "model.safetensors"));
    }

    /// <summary>Trains a micro student one step on four CQA rows and saves it as a model zip; returns the student's weights.</summary>
    public static Dictionary<string, float[]> WriteModelZip(string folder, string zipPath)
    {
        var tokenizerPath = TrainingFixtures.TokenizerPath;
        var tokenizer = T5Tokenizer.FromFile(tokenizerPath);
        var studentFolder = Path.Combine(folder, "micro-student");
        Directory.CreateDirectory(studentFolder);
        WriteMicroModel(studentFolder, MicroConfig(tokenizer.VocabSize), tokenizer);

        var ml = new MLContext(seed: 1);
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(4));
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        options.Student = studentFolder;
        options.MaxInputLength = 16;
        options.MaxTargetLength = 4;
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        ml.StepDistill().SaveModel(student, train.Schema, zipPath);
        return Weights(student.Predictor.Student.Module);
    }

    /// <summary>The first student in a loaded pipeline.</summary>
    public static Seq2SeqStudentTransformer? FindStudent(ITransformer transformer) => transformer switch
    {
        Seq2SeqStudentTransformer student => student,
        MLNet.StepDistill.Pipeline.StepDistillModel loaded => loaded.Find<Seq2SeqStudentTransformer>(),
        Microsoft.ML.Data.TransformerChain<ITransformer> chain => chain.Select(FindStudent).FirstOrDefault(s => s is not null),
        _ => null,
    };

    /// <summary>The first <paramref name="count"/> rows of CQA's train split as JSONL.</summary>
    public static string CqaJsonl(int count) =>
        string.Join("\n", File.ReadLines(Path.Combine(RepoPaths.Dataset("cqa"), "train.jsonl")).Take(count)) + "\n";

    /// <summary>The same rows as CSV (choices joined by "|"), quoted as RFC 4180 asks.</summary>
    public static string CqaCsv(int count)
    {
        var rows = TaskDataset.ReadFile(Path.Combine(RepoPaths.Dataset("cqa"), "train.jsonl"), CqaSchema).Take(count);
        static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        var text = new StringBuilder("id,question,choices,answer\r\n");
        foreach (var row in rows)
        {
            text.Append(string.Join(",", Quote(row.Id), Quote(row.Inputs[0]), Quote(string.Join("|", row.Choices)), Quote(row.Target!))).Append("\r\n");
        }

        return text.ToString();
    }

    public static TaskSchema CqaSchema => TaskDataset.Open(RepoPaths.Dataset("cqa")).Schema;

    /// <summary>Whether every string is well-formed text: no U+FFFD (a byte that was not UTF-8, silently replaced) and no lone surrogate.</summary>
    public static bool IsCleanText(string? text)
    {
        if (text is null)
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\uFFFD')
            {
                return false;
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
