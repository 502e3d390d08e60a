using System.Text;
using System.Text.Json.Nodes;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.T5;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Reading checkpoints in every layout HF writes, and the errors for broken ones.</summary>
public class T5CheckpointTests
{
    private const string Fixture = "t5v11_gated";

    [Fact]
    public void Missing_key_is_named_in_the_error()
    {
        using var folder = CopyWithWeights(w => w.Remove("encoder.final_layer_norm.weight"));
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("missing keys: encoder.final_layer_norm.weight", error.Message);
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void Unexpected_key_is_named_in_the_error()
    {
        using var folder = CopyWithWeights(w => w["encoder.block.9.layer.0.layer_norm.weight"] = ones(64));
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("unexpected keys: encoder.block.9.layer.0.layer_norm.weight", error.Message);
    }

    [Fact]
    public void Wrong_shape_names_the_key_and_both_shapes()
    {
        using var folder = CopyWithWeights(w => w["decoder.block.1.layer.2.DenseReluDense.wo.weight"] = zeros(64, 96));
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("decoder.block.1.layer.2.DenseReluDense.wo.weight: checkpoint [64, 96] but the config gives [64, 128]", error.Message);
    }

    [Fact]
    public void Truncated_safetensors_names_the_file()
    {
        using var folder = new TempFolder();
        T5Fixtures.CopyFolder(T5Fixtures.ModelFolder(Fixture), folder.Path);
        var weights = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length - 1000)]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(weights, error.Message);
        Assert.Contains("truncated", error.Message);

        File.WriteAllBytes(weights, bytes[..5]);
        error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Malformed_safetensors_header_names_the_file()
    {
        using var folder = new TempFolder();
        T5Fixtures.CopyFolder(T5Fixtures.ModelFolder(Fixture), folder.Path);
        var header = Encoding.UTF8.GetBytes("{\"shared.weight\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}");
        File.WriteAllBytes(folder.File("model.safetensors"), [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. new byte[8]]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("shared.weight", error.Message);
    }

    [Theory]
    [InlineData("feed_forward_proj", "\"gated-swiglu-x\"")]
    [InlineData("feed_forward_proj", "\"gated-foo\"")]
    [InlineData("model_type", "\"bert\"")]
    [InlineData("d_model", "\"wide\"")]
    public void Bad_config_names_the_key_and_the_file(string key, string value)
    {
        using var folder = new TempFolder();
        T5Fixtures.CopyFolder(T5Fixtures.ModelFolder(Fixture), folder.Path);
        var config = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!.AsObject();
        config[key] = JsonNode.Parse(value);
        File.WriteAllText(folder.File("config.json"), config.ToJsonString());
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(key, error.Message);
        Assert.Contains(folder.File("config.json"), error.Message);
    }

    [Fact]
    public void Config_that_is_not_json_names_the_file_and_line()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("config.json"), "{\n  \"d_model\": 64,\n  oops\n}");
        var error = Assert.Throws<ModelFormatException>(() => T5Config.Load(folder.File("config.json")));
        Assert.Contains(folder.File("config.json"), error.Message);
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Folder_without_weights_says_which_files_it_looked_for()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(T5Fixtures.ModelFolder(Fixture), "config.json"), folder.File("config.json"));
        var error = Assert.Throws<FileNotFoundException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("pytorch_model.bin", error.Message);
    }

    [Fact]
    public void Sharded_safetensors_load_to_the_same_logits()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(T5Fixtures.ModelFolder(Fixture), "config.json"), folder.File("config.json"));
        var weights = ReadFixtureWeights();
        var keys = weights.Keys.Order(StringComparer.Ordinal).ToArray();
        var shards = new[] { keys[..(keys.Length / 2)], keys[(keys.Length / 2)..] };
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Length; i++)
        {
            var file = $"model-0000{i + 1}-of-00002.safetensors";
            SafetensorsFile.Write(folder.File(file), shards[i].Select(k => (k, weights[k])));
            foreach (var key in shards[i])
            {
                weightMap[key] = file;
            }
        }

        File.WriteAllText(folder.File("model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap }.ToJsonString());
        AssertSameLogitsAsFixture(folder.Path);
    }

    [Fact]
    public void Pytorch_model_bin_with_alias_keys_loads_to_the_same_logits()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(T5Fixtures.ModelFolder(Fixture), "config.json"), folder.File("config.json"));
        var weights = ReadFixtureWeights();
        weights["encoder.embed_tokens.weight"] = weights["shared.weight"];
        weights["decoder.embed_tokens.weight"] = weights["shared.weight"];
        PyTorchPickler.PickleStateDict(folder.File("pytorch_model.bin"), weights);
        AssertSameLogitsAsFixture(folder.Path);
    }

    [Fact]
    public void Truncated_pytorch_model_bin_names_the_file()
    {
        using var folder = new TempFolder();
        File.Copy(Path.Combine(T5Fixtures.ModelFolder(Fixture), "config.json"), folder.File("config.json"));
        PyTorchPickler.PickleStateDict(folder.File("pytorch_model.bin"), ReadFixtureWeights());
        var bytes = File.ReadAllBytes(folder.File("pytorch_model.bin"));
        File.WriteAllBytes(folder.File("pytorch_model.bin"), bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(folder.File("pytorch_model.bin"), error.Message);
    }

    [Fact]
    public void Saved_config_keeps_hugging_face_key_names_and_values()
    {
        using var model = T5ParityTests.Load(Fixture);
        using var folder = new TempFolder();
        model.SavePretrained(folder.Path);
        var saved = JsonNode.Parse(File.ReadAllText(folder.File("config.json")))!.AsObject();
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(T5Fixtures.ModelFolder(Fixture), "config.json")))!.AsObject();
        foreach (var (key, value) in original)
        {
            Assert.True(JsonNode.DeepEquals(value, saved[key]), $"config key {key}: saved {saved[key]?.ToJsonString()} vs original {value?.ToJsonString()}");
        }

        Assert.Equal("T5ForConditionalGeneration", saved["architectures"]![0]!.GetValue<string>());
        var header = ReadHeader(folder.File("model.safetensors"));
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
    }

    private static Dictionary<string, Tensor> ReadFixtureWeights() =>
        Safetensors.LoadStateDict(Path.Combine(T5Fixtures.ModelFolder(Fixture), "model.safetensors"));

    private static TempFolder CopyWithWeights(Action<Dictionary<string, Tensor>> edit)
    {
        var folder = new TempFolder();
        T5Fixtures.CopyFolder(T5Fixtures.ModelFolder(Fixture), folder.Path);
        var weights = ReadFixtureWeights();
        edit(weights);
        SafetensorsFile.Write(folder.File("model.safetensors"), weights.Select(w => (w.Key, w.Value)));
        return folder;
    }

    private static JsonObject ReadHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        return JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, length))!.AsObject();
    }

    private static void AssertSameLogitsAsFixture(string folder)
    {
        using var expectedModel = T5ParityTests.Load(Fixture);
        using var model = T5ForConditionalGeneration.FromPretrained(folder, CPU);
        T5Fixtures.AssertSameLogits(Fixture, expectedModel, model);
    }
}
