using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>The issue's examples of model, zip and checkpoint files that loaded garbage, allocated without bound or threw raw exceptions.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class ModelFileRegressionTests
{
    [Fact]
    public void Safetensors_overlapping_data_offsets_are_an_error_naming_the_tensor()
    {
        using var folder = MicroFolder();
        var error = EditSafetensors(folder, header =>
        {
            var q = header["encoder.block.0.layer.0.SelfAttention.q.weight"]!;
            header["encoder.block.0.layer.0.SelfAttention.k.weight"]!["data_offsets"] = q["data_offsets"]!.DeepClone();
        });
        Assert.True(error.Message.Contains("overlap", StringComparison.Ordinal), error.Message);
        Assert.Contains("SelfAttention", error.Message);
    }

    [Fact]
    public void Safetensors_dtype_F32_changed_to_I32_is_an_error_naming_the_tensor()
    {
        using var folder = MicroFolder();
        var error = EditSafetensors(folder, header => header["shared.weight"]!["dtype"] = "I32");
        Assert.Contains("shared.weight is I32", error.Message);
        Assert.Contains("floating point", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Safetensors_offsets_shifted_by_a_few_bytes_are_an_error(int shift)
    {
        using var folder = MicroFolder();
        var error = EditSafetensors(folder, header =>
        {
            foreach (var (_, entry) in header.Where(p => p.Key != "__metadata__").ToList())
            {
                var o = entry!["data_offsets"]!.AsArray();
                entry["data_offsets"] = new JsonArray((long)o[0]! + shift, (long)o[1]! + shift);
            }
        });
        Assert.True(error.Message.Contains("gap", StringComparison.Ordinal) || error.Message.Contains("truncated", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void Safetensors_repeated_key_is_an_error_naming_the_file_not_an_ArgumentException()
    {
        using var folder = MicroFolder();
        var path = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, length).TrimEnd();
        var node = JsonNode.Parse(header)!.AsObject();
        var pair = $"\"shared.weight\":{node["shared.weight"]!.ToJsonString()}";
        WriteSafetensors(path, header.Replace(pair, pair + "," + pair, StringComparison.Ordinal), bytes[(8 + length)..]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("num_heads", 1_000_000, "\"num_heads\" must be between 1 and 1024, got 1000000")]
    [InlineData("d_model", 100_000_000, "\"d_model\" must be between 1 and 262144")]
    [InlineData("d_kv", 1_000_000, "\"d_kv\" must be between 1 and 262144")]
    [InlineData("num_layers", 1_000_000, "\"num_layers\" must be between 1 and 256")]
    [InlineData("num_layers", 200, "describes")]
    [InlineData("d_ff", 200_000, "a size key is wrong")]
    public void Config_with_huge_sizes_fails_before_the_model_is_built(string key, int value, string expected)
    {
        using var folder = MicroFolder();
        var config = folder.File("config.json");
        File.WriteAllText(config, IssueExamples.EditJson(File.ReadAllBytes(config), c => c[key] = value));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the failed load allocated more than 16 MiB");
        Assert.Contains(config, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Config_that_is_not_UTF8_is_an_error_naming_the_file()
    {
        using var folder = MicroFolder();
        var config = folder.File("config.json");
        var bytes = File.ReadAllBytes(config);
        var at = Array.IndexOf(bytes, (byte)'r', Encoding.UTF8.GetString(bytes).IndexOf("\"relu\"", StringComparison.Ordinal));
        File.WriteAllBytes(config, [.. bytes[..at], 0xED, 0xA0, 0x80, .. bytes[at..]]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(config, error.Message);
    }

    [Fact]
    public void Pytorch_model_bin_with_a_flipped_bit_fails_its_CRC()
    {
        using var folder = MicroFolder();
        FuzzFixtures.RewriteAsPickle(folder.Path);
        var path = folder.File("pytorch_model.bin");
        IssueExamples.FlipBitInStoredEntry(path, EntryNamed(path, "/data/0"));
        var error = Assert.Throws<FileIntegrityException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(path, error.Message);
        Assert.Contains("CRC-32", error.Message);
        Assert.Contains("download or copy it again", error.Message);
    }

    [Fact]
    public void Model_zip_with_a_flipped_bit_in_a_stored_entry_fails_its_CRC()
    {
        using var folder = new TempFolder();
        var zip = CopyZip(folder);
        IssueExamples.FlipBitInStoredEntry(zip, "StepDistill/component_0/model/model.safetensors");
        var error = Assert.Throws<FileIntegrityException>(() => new MLContext().StepDistill().LoadModel(zip, out DataViewSchema _));
        Assert.Contains(zip, error.Message);
        Assert.Contains("StepDistill/component_0/model/model.safetensors", error.Message);
    }

    [Fact]
    public void Model_zip_whose_config_has_a_million_heads_fails_naming_the_entry()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        IssueExamples.RewriteZip(IssueExamples.ModelZip, zip, (name, bytes) => name.EndsWith("model/config.json", StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(IssueExamples.EditJson(bytes, c => c["num_heads"] = 1_000_000))
            : bytes);
        var error = Assert.Throws<ModelFormatException>(() => new MLContext().StepDistill().LoadModel(zip, out DataViewSchema _));
        Assert.Contains(zip, error.Message);
        Assert.Contains("StepDistill/component_0/model/config.json", error.Message);
        Assert.Contains("num_heads", error.Message);
    }

    [Fact]
    public void Model_zip_head_json_with_a_wrong_type_is_an_error_naming_the_entry_not_a_JsonException()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        IssueExamples.RewriteZip(IssueExamples.ModelZip, zip, (name, bytes) => name.EndsWith("head.json", StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(IssueExamples.EditJson(bytes, h => h["generate_rationale"] = "yes"))
            : bytes);
        var error = Assert.Throws<ModelFormatException>(() => new MLContext().StepDistill().LoadModel(zip, out DataViewSchema _));
        Assert.Contains("StepDistill/component_0/head.json", error.Message);
        Assert.Contains("generate_rationale", error.Message);
    }

    [Fact]
    public void Model_zip_with_a_repeated_entry_is_an_error_naming_it()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        IssueExamples.RewriteZip(IssueExamples.ModelZip, zip, (_, b) => b, repeat: "StepDistill/component_0/model/config.json");
        var error = Assert.Throws<ModelFormatException>(() => new MLContext().StepDistill().LoadModel(zip, out DataViewSchema _));
        Assert.Contains("\"StepDistill/component_0/model/config.json\" twice", error.Message);
    }

    [Fact]
    public void Truncated_model_zip_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        var zip = CopyZip(folder);
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<ModelFormatException>(() => new MLContext().StepDistill().LoadModel(zip, out DataViewSchema _));
        Assert.Contains(zip, error.Message);
        Assert.Contains("not a readable zip", error.Message);
    }

    [Fact]
    public void Load_folders_of_killed_loads_are_deleted_at_the_next_load_and_a_load_leaves_none()
    {
        var stale = Directory.CreateTempSubdirectory($"stepdistill-load-{IssueExamples.DeadPid()}-");
        File.WriteAllText(Path.Combine(stale.FullName, "model.safetensors"), "left by a killed process");
        var live = Directory.CreateTempSubdirectory("stepdistill-load-1-"); // pid 1 is alive: not ours to delete
        try
        {
            var model = new MLContext().StepDistill().LoadModel(IssueExamples.ModelZip, out DataViewSchema _);
            FuzzFixtures.FindStudent(model)?.Dispose();
            Assert.False(Directory.Exists(stale.FullName));
            Assert.True(Directory.Exists(live.FullName));
            Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), StaleTempFiles.LoadFolderPrefix + "*"));
        }
        finally
        {
            live.Delete(recursive: true);
        }
    }

    [Fact]
    public void Temp_files_of_killed_saves_are_deleted_at_the_next_save()
    {
        using var folder = new TempFolder();
        var ml = new MLContext();
        var stale = folder.File($".model.zip.{IssueExamples.DeadPid()}.tmp");
        File.WriteAllText(stale, "left by a killed process");
        var model = ml.StepDistill().LoadModel(IssueExamples.ModelZip, out var schema);
        using var student = FuzzFixtures.FindStudent(model);
        ml.StepDistill().SaveModel(model, schema, folder.File("model.zip"));
        Assert.False(File.Exists(stale));
        Assert.Equal(["model.zip"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Training_checkpoint_with_a_step_outside_the_run_is_an_error(int step)
    {
        using var folder = MicroFolder();
        using var model = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        new TrainingCheckpoint { Step = step, Fingerprint = "run" }.Write(folder.Path, model, optimizer);
        var error = Assert.Throws<ModelFormatException>(() => TrainingCheckpoint.TryRestore(folder.Path, "run", model, optimizer, totalSteps: 40));
        Assert.Contains($"step {step}, outside this run of 40 steps", error.Message);
    }

    [Theory]
    [InlineData(0.3)] // random-generator state and weights
    [InlineData(0.6)] // weights
    [InlineData(0.995)] // optimiser state
    public void Training_checkpoint_with_a_flipped_bit_fails_its_checksum(double where)
    {
        using var folder = MicroFolder();
        using var model = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        new TrainingCheckpoint { Step = 3, Fingerprint = "run" }.Write(folder.Path, model, optimizer);
        var path = TrainingCheckpoint.PathIn(folder.Path);
        var bytes = File.ReadAllBytes(path);
        bytes[(int)(bytes.Length * where)] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<FileIntegrityException>(() => TrainingCheckpoint.TryRestore(folder.Path, "run", model, optimizer, totalSteps: 40));
        Assert.Contains(path, error.Message);
        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public void Training_checkpoint_of_a_model_of_another_shape_is_an_error()
    {
        using var folder = MicroFolder();
        using var model = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        new TrainingCheckpoint { Step = 3, Fingerprint = "run" }.Write(folder.Path, model, optimizer);
        var wider = FuzzFixtures.MicroConfig();
        wider.DFf = 24;
        using var other = new T5ForConditionalGeneration(wider);
        using var otherOptimizer = torch.optim.Adam(other.parameters(), 1e-3);
        var error = Assert.Throws<ModelFormatException>(() => TrainingCheckpoint.TryRestore(folder.Path, "run", other, otherOptimizer, totalSteps: 40));
        Assert.Contains(TrainingCheckpoint.PathIn(folder.Path), error.Message);
    }

    [Fact]
    public void Temp_files_of_killed_checkpoint_writes_are_deleted_at_the_next_start()
    {
        using var folder = MicroFolder();
        var dead = IssueExamples.DeadPid();
        var stale = new[] { $"checkpoint.bin.tmp-{dead}", $"best-weights.bin.tmp-{dead}" }.Select(folder.File).ToArray();
        var live = folder.File("checkpoint.bin.tmp-1");
        foreach (var file in stale.Append(live))
        {
            File.WriteAllText(file, "left by a killed process");
        }

        using var model = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        Assert.Null(TrainingCheckpoint.TryRestore(folder.Path, "run", model, optimizer, totalSteps: 40));
        Assert.All(stale, f => Assert.False(File.Exists(f)));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void The_shapes_computed_from_a_config_are_the_models_parameters()
    {
        foreach (var config in new[] { FuzzFixtures.MicroConfig(), T5Presets.Get("t5-v1_1-small", 64), T5Presets.Get("tiny", 64) })
        {
            config.TieWordEmbeddings = config.FeedForwardProj == "relu";
            using var model = new T5ForConditionalGeneration(config);
            var expected = T5ParameterShapes.For(config);
            var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            Assert.Equal(actual.Keys.Order(StringComparer.Ordinal), expected.Keys.Order(StringComparer.Ordinal));
            Assert.All(actual, kv => Assert.Equal(kv.Value, expected[kv.Key]));
            Assert.Equal(actual.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), T5ParameterShapes.Count(config));
        }
    }

    private static TempFolder MicroFolder()
    {
        var folder = new TempFolder();
        FuzzFixtures.WriteMicroModel(folder.Path);
        return folder;
    }

    private static string CopyZip(TempFolder folder)
    {
        var zip = folder.File("model.zip");
        File.Copy(IssueExamples.ModelZip, zip);
        return zip;
    }

    private static string EntryNamed(string zip, string suffix)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        return archive.Entries.First(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).FullName;
    }

    private static ModelFormatException EditSafetensors(TempFolder folder, Action<JsonObject> edit)
    {
        var path = folder.File("model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        edit(header);
        WriteSafetensors(path, header.ToJsonString(), bytes[(8 + length)..]);
        var error = Assert.Throws<ModelFormatException>(() => T5ForConditionalGeneration.FromPretrained(folder.Path, CPU));
        Assert.Contains(path, error.Message);
        return error;
    }

    private static void WriteSafetensors(string path, string header, byte[] data)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        File.WriteAllBytes(path, [.. length, .. headerBytes, .. data]);
    }
}
