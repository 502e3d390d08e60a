using System.Text.Json;
using MLNet.StepDistill.T5;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Finds the reference fixtures (copied next to the test assembly) and reads their JSON.</summary>
internal static class T5Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string ModelFolder(string name) => Path.Combine(Root, "t5", name);

    public static string TokenizerFolder(string name) => Path.Combine(Root, "spm", name);

    /// <summary>Every folder under Fixtures/t5 (a new folder is a new test case).</summary>
    public static TheoryData<string> ModelNames() => Folders("t5");

    /// <summary>Every folder under Fixtures/spm.</summary>
    public static TheoryData<string> TokenizerNames() => Folders("spm");

    public static JsonElement ReadJson(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    /// <summary>A nested JSON array of numbers, flattened, and its shape.</summary>
    public static (double[] Values, long[] Shape) Flatten(JsonElement array)
    {
        var values = new List<double>();
        var shape = new List<long>();
        void Walk(JsonElement e, int depth)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                if (shape.Count == depth)
                {
                    shape.Add(e.GetArrayLength());
                }

                foreach (var child in e.EnumerateArray())
                {
                    Walk(child, depth + 1);
                }
            }
            else
            {
                values.Add(e.GetDouble());
            }
        }

        Walk(array, 0);
        return (values.ToArray(), shape.ToArray());
    }

    public static Tensor LongTensor(JsonElement array)
    {
        var (values, shape) = Flatten(array);
        return tensor(values.Select(v => (long)v).ToArray(), shape);
    }

    public static long[][] LongRows(JsonElement array) =>
        array.EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static TheoryData<string> Folders(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(Root, kind)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(folder));
        }

        return data;
    }

    /// <summary>Asserts that two models give bit-identical logits on the first case of fixture <paramref name="name"/>.</summary>
    public static void AssertSameLogits(string name, T5ForConditionalGeneration expectedModel, T5ForConditionalGeneration actualModel)
    {
        var testCase = ReadJson(Path.Combine(ModelFolder(name), "cases.json")).EnumerateArray().First();
        using var scope = NewDisposeScope();
        var inputs = LongTensor(testCase.GetProperty("input_ids"));
        var mask = LongTensor(testCase.GetProperty("attention_mask"));
        var decoderInputs = LongTensor(testCase.GetProperty("decoder_input_ids"));
        using var expected = expectedModel.Forward(inputs, mask, decoderInputs);
        using var actual = actualModel.Forward(inputs, mask, decoderInputs);
        Assert.Equal(expected.Logits.data<float>().ToArray(), actual.Logits.data<float>().ToArray());
    }
}
