using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tests.T5;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>
/// Mutated model files (safetensors, config.json, spiece.model, pytorch_model.bin): each load either gives exactly the
/// original weights or fails with a documented exception naming the file. The data section of a safetensors file
/// carries no checksum in the format, so its mutations are aimed at the header, the length field and the file's length.
/// </summary>
public sealed class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const long AllocationBound = 64L << 20;

    [Fact]
    public void Safetensors_1000_mutations_load_the_right_weights_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var reference = FuzzFixtures.WriteMicroModel(folder.Path);
        var path = folder.File("model.safetensors");
        var original = File.ReadAllBytes(path);
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        Assert.True(LoadsReference(folder.Path, reference)); // the unmutated file loads: the oracle can say yes

        FuzzHarness.Run(output, "model.safetensors", 1000, seed: 1201, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, rng.Next(10) < 6 ? FuzzMutator.MutateBytes(original, rng, 0, headerEnd) : StructuredSafetensorsMutation(original, headerEnd, rng));
            return new FuzzCase(path, () => LoadsReference(folder.Path, reference));
        });
    }

    [Fact]
    public void Config_json_200_mutations_load_the_right_model_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var reference = FuzzFixtures.WriteMicroModel(folder.Path);
        var path = folder.File("config.json");
        var original = File.ReadAllBytes(path);
        Assert.True(LoadsReference(folder.Path, reference));

        FuzzHarness.Run(output, "config.json", 200, seed: 1202, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateText(original, rng));
            return new FuzzCase(path, () => LoadsReference(folder.Path, reference));
        });
    }

    [Fact]
    public void Spiece_model_200_mutations_give_a_consistent_tokenizer_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var original = File.ReadAllBytes(Path.Combine(T5Fixtures.TokenizerFolder("t5_spm800"), "spiece.model"));
        var path = folder.File("spiece.model");

        FuzzHarness.Run(output, "spiece.model", 200, seed: 1203, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateBytes(original, rng));
            return new FuzzCase(path, () =>
            {
                var tokenizer = T5Tokenizer.FromFile(path);
                var size = tokenizer.VocabSize;
                var ids = tokenizer.Tokenize("Hello world, 123 apples. <unk> </s>").Select(t => t.Id).ToList();
                return new[] { tokenizer.PadId, tokenizer.EosId, tokenizer.UnkId }.Concat(ids).All(id => id >= 0 && id < size);
            });
        });
    }

    [Fact]
    public void Pytorch_model_bin_200_mutations_load_the_right_weights_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var reference = FuzzFixtures.WriteMicroModel(folder.Path);
        FuzzFixtures.RewriteAsPickle(folder.Path);
        var path = folder.File("pytorch_model.bin");
        var original = File.ReadAllBytes(path);
        Assert.True(LoadsReference(folder.Path, reference));

        FuzzHarness.Run(output, "pytorch_model.bin", 200, seed: 1204, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateBytes(original, rng));
            return new FuzzCase(path, () => LoadsReference(folder.Path, reference));
        });
    }

    private static bool LoadsReference(string folder, Dictionary<string, float[]> reference)
    {
        using var model = T5ForConditionalGeneration.FromPretrained(folder, CPU);
        return FuzzFixtures.SameWeights(reference, model) && model.Config.DModel == 8 && model.Config.NumHeads == 2 && model.Config.VocabSize == 32;
    }

    /// <summary>A mutation that keeps the header valid JSON but changes what it says: dtypes, offsets, shapes, keys, the length field.</summary>
    private static byte[] StructuredSafetensorsMutation(byte[] original, int headerEnd, Random rng)
    {
        var header = JsonNode.Parse(original.AsSpan(8, headerEnd - 8))!.AsObject();
        var names = header.Where(p => p.Key != "__metadata__").Select(p => p.Key).ToArray();
        var name = names[rng.Next(names.Length)];
        var entry = header[name]!.AsObject();
        var data = original[headerEnd..];
        string? rawHeader = null;
        switch (rng.Next(9))
        {
            case 0:
                string[] dtypes = ["F64", "F16", "BF16", "I32", "I64", "I16", "I8", "U8", "BOOL", "F8", "f32", ""];
                entry["dtype"] = dtypes[rng.Next(dtypes.Length)];
                break;
            case 1: // one tensor's offsets shifted by 1 to 3 bytes
                var shift = rng.Next(1, 4) * (rng.Next(2) == 0 ? 1 : -1);
                var offsets = entry["data_offsets"]!.AsArray();
                entry["data_offsets"] = new JsonArray((long)offsets[0]! + shift, (long)offsets[1]! + shift);
                break;
            case 2: // every tensor shifted: a misaligned file
                var all = rng.Next(1, 4);
                foreach (var n in names)
                {
                    var o = header[n]!["data_offsets"]!.AsArray();
                    header[n]!["data_offsets"] = new JsonArray((long)o[0]! + all, (long)o[1]! + all);
                }

                break;
            case 3: // a tensor overlapping another of the same byte length
                var length = (long)entry["data_offsets"]![1]! - (long)entry["data_offsets"]![0]!;
                var twin = names.FirstOrDefault(n => n != name && (long)header[n]!["data_offsets"]![1]! - (long)header[n]!["data_offsets"]![0]! == length);
                if (twin is not null)
                {
                    entry["data_offsets"] = header[twin]!["data_offsets"]!.DeepClone();
                }

                break;
            case 4:
                long[][] shapes = [[1_000_000_000_000], [-1, 8], [8], [], [0], [4, 2, 8], [long.MaxValue, 2]];
                entry["shape"] = new JsonArray(shapes[rng.Next(shapes.Length)].Select(d => (JsonNode)d).ToArray());
                break;
            case 5: // a repeated key
                var text = header.ToJsonString();
                var pair = $"\"{name}\":{entry.ToJsonString()}";
                rawHeader = text.Replace(pair, pair + "," + pair, StringComparison.Ordinal);
                break;
            case 6: // a key that is not UTF-8
                var bytes = Encoding.UTF8.GetBytes(header.ToJsonString());
                var at = Array.IndexOf(bytes, (byte)'"', 2);
                return Assemble([.. bytes[..(at - 1)], 0xED, 0xA0, 0x80, .. bytes[(at - 1)..]], data, rng);
            case 7: // extra or missing data bytes
                data = rng.Next(2) == 0 ? [.. data, .. new byte[rng.Next(1, 9)]] : data[..^rng.Next(1, 9)];
                break;
            default: // the length field replaced
                var mutated = (byte[])original.Clone();
                ulong[] lengths = [0, 1, 7, (ulong)(headerEnd - 9), (ulong)(headerEnd - 7), (ulong)original.Length, 100_000_001, ulong.MaxValue, 1UL << 63];
                BinaryPrimitives.WriteUInt64LittleEndian(mutated, lengths[rng.Next(lengths.Length)]);
                return mutated;
        }

        return Assemble(Encoding.UTF8.GetBytes(rawHeader ?? header.ToJsonString()), data, rng);
    }

    private static byte[] Assemble(byte[] header, byte[] data, Random rng)
    {
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        return [.. length, .. header, .. data];
    }
}

/// <summary>Mutated training checkpoints and model zips: a restore or load gives exactly the saved state, or a documented error naming the file.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class StateFileFuzzTests(ITestOutputHelper output)
{
    private const long AllocationBound = 64L << 20;

    [Fact]
    public void Training_checkpoint_200_mutations_restore_the_saved_state_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        FuzzFixtures.WriteMicroModel(folder.Path);
        using var model = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var optimizer = torch.optim.Adam(model.parameters(), 1e-3);
        var reference = FuzzFixtures.Weights(model);
        new TrainingCheckpoint { Step = 3, Fingerprint = "fuzz" }.Write(folder.Path, model, optimizer);
        var path = TrainingCheckpoint.PathIn(folder.Path);
        var original = File.ReadAllBytes(path);
        using var target = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);
        using var targetOptimizer = torch.optim.Adam(target.parameters(), 1e-3);
        Assert.True(Restores());

        bool Restores() =>
            TrainingCheckpoint.TryRestore(folder.Path, "fuzz", target, targetOptimizer, totalSteps: 40) is { Step: 3 } && FuzzFixtures.SameWeights(reference, target);

        FuzzHarness.Run(output, "training checkpoint", 200, seed: 1205, AllocationBound, (_, rng) =>
        {
            File.WriteAllBytes(path, FuzzMutator.MutateBytes(original, rng));
            return new FuzzCase(path, Restores);
        });
    }

    [Fact]
    public void Model_zip_200_mutations_load_the_saved_student_or_fail_naming_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.zip");
        var reference = FuzzFixtures.WriteModelZip(folder.Path, path);
        var original = File.ReadAllBytes(path);
        var ml = new MLContext(seed: 1);
        Assert.True(LoadsSaved());

        bool LoadsSaved()
        {
            var loaded = ml.StepDistill().LoadModel(path, out DataViewSchema _);
            using var student = FuzzFixtures.FindStudent(loaded);
            return student is not null && FuzzFixtures.SameWeights(reference, student.Predictor.Student.Module);
        }

        var entries = ReadEntries(original);
        FuzzHarness.Run(output, "model zip", 200, seed: 1206, AllocationBound * 4, (_, rng) =>
        {
            // Half damaged bytes (CRC-32 must catch them), half hostile content: one entry rewritten, or repeated, in a
            // zip with valid checksums (the readers behind the CRC must catch those).
            File.WriteAllBytes(path, rng.Next(2) == 0 ? FuzzMutator.MutateBytes(original, rng) : HostileZip(entries, rng));
            return new FuzzCase(path, LoadsSaved);
        });

        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), StaleTempFiles.LoadFolderPrefix + "*"));
    }

    private static List<(string Name, byte[] Bytes)> ReadEntries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToList();
    }

    private static byte[] HostileZip(List<(string Name, byte[] Bytes)> entries, Random rng)
    {
        var victim = rng.Next(entries.Count);
        var repeat = rng.Next(8) == 0;
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var (name, bytes) = entries[i];
                // A hostile writer who also rewrites the CRC can change weights at will (safetensors has no checksum of its own):
                // inside model.safetensors only the header is mutated, which the reader must check.
                var content = i == victim && !repeat
                    ? name.EndsWith(".safetensors", StringComparison.Ordinal)
                        ? FuzzMutator.MutateBytes(bytes, rng, 0, 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes))
                        : name.EndsWith(".json", StringComparison.Ordinal) || rng.Next(2) == 0 ? FuzzMutator.MutateText(bytes, rng) : FuzzMutator.MutateBytes(bytes, rng)
                    : bytes;
                for (var copies = i == victim && repeat ? 2 : 1; copies > 0; copies--)
                {
                    using var stream = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                    stream.Write(content);
                }
            }
        }

        return buffer.ToArray();
    }
}
