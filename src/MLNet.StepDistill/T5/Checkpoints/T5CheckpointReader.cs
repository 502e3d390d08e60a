using System.Collections;
using System.Text.Json;
using MLNet.StepDistill.Files;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Reads a Hugging Face T5 checkpoint folder: <c>config.json</c>, the weights (<c>model.safetensors</c>, sharded
/// safetensors with <c>model.safetensors.index.json</c>, or <c>pytorch_model.bin</c>, possibly sharded) through
/// TorchSharp.PyBridge, and <c>spiece.model</c> when present. Keys are matched by name; HF's aliases are understood.
/// </summary>
internal static class T5CheckpointReader
{
    private const string SafetensorsName = "model.safetensors";
    private const string PickleName = "pytorch_model.bin";

    /// <summary>Keys HF's T5 ignores when they appear in a checkpoint (<c>_keys_to_ignore_on_load_unexpected</c>).</summary>
    private static readonly HashSet<string> IgnoredKeys = new(StringComparer.Ordinal)
    {
        "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",
    };

    /// <summary>
    /// Reads the config, checks the weights' names, dtypes and shapes against it (for safetensors from the headers alone,
    /// before any tensor is read), and only then builds the model, so a small hostile file cannot make it allocate more
    /// than about the weights file's size twice over.
    /// </summary>
    public static T5ForConditionalGeneration Load(string folder, Device device, T5Precision? precision)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"T5 checkpoint folder not found: {folder}");
        }

        var configPath = Path.Combine(folder, "config.json");
        var config = T5Config.Load(configPath);
        var expected = T5ParameterShapes.For(config);
        var (weights, source) = ReadStateDict(folder, config, configPath, expected);
        Dictionary<string, Tensor>? owned = weights;
        try
        {
            var spiece = Path.Combine(folder, T5Tokenizer.ModelFileName);
            var tokenizer = File.Exists(spiece) ? T5Tokenizer.FromFile(spiece, config.VocabSize) : null;
            var model = new T5ForConditionalGeneration(config, tokenizer, initialize: false);
            try
            {
                Apply(model, weights, source);
                Free(weights);
                owned = null;
                model.To(device, precision);
                model.eval();
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            if (owned is not null)
            {
                Free(owned);
            }
        }
    }

    private static void Free(Dictionary<string, Tensor> weights)
    {
        foreach (var tensor in weights.Values)
        {
            tensor.Dispose();
        }
    }

    /// <summary>
    /// All tensors of the checkpoint and a description of the file(s) they came from, checked against the config: for
    /// safetensors from the headers before any tensor is read; for pickles after the zip's CRC-32s and before the model.
    /// </summary>
    private static (Dictionary<string, Tensor> Weights, string Source) ReadStateDict(
        string folder, T5Config config, string configPath, IReadOnlyDictionary<string, long[]> expected)
    {
        var safetensors = Path.Combine(folder, SafetensorsName);
        var pickle = Path.Combine(folder, PickleName);
        string source;
        string[] files;
        bool isSafetensors;
        if (File.Exists(safetensors + ".index.json"))
        {
            (source, files, isSafetensors) = (safetensors + ".index.json", ShardFiles(safetensors + ".index.json"), true);
        }
        else if (File.Exists(safetensors))
        {
            (source, files, isSafetensors) = (safetensors, [safetensors], true);
        }
        else if (File.Exists(pickle + ".index.json"))
        {
            (source, files, isSafetensors) = (pickle + ".index.json", ShardFiles(pickle + ".index.json"), false);
        }
        else if (File.Exists(pickle))
        {
            (source, files, isSafetensors) = (pickle, [pickle], false);
        }
        else
        {
            throw new FileNotFoundException(
                $"{folder}: no weights found; expected {SafetensorsName}, {SafetensorsName}.index.json, {PickleName} or {PickleName}.index.json.");
        }

        if (isSafetensors)
        {
            var layout = new Dictionary<string, (string Dtype, long[] Shape)>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                foreach (var (name, entry) in SafetensorsFile.Validate(file))
                {
                    if (!layout.TryAdd(name, (entry.Dtype, entry.Shape)))
                    {
                        throw new ModelFormatException(source, $"tensor \"{name}\" appears in more than one shard.");
                    }
                }
            }

            CheckFitsInFiles(config, configPath, files, source);
            CheckLayout(config, configPath, expected, layout, source);
        }
        else
        {
            CheckFitsInFiles(config, configPath, files, source);
        }

        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var file in files)
            {
                foreach (var (key, tensor) in isSafetensors ? ReadSafetensors(file) : ReadPickle(file))
                {
                    if (!weights.TryAdd(key, tensor))
                    {
                        tensor.Dispose();
                        throw new ModelFormatException(source, $"tensor \"{key}\" appears in more than one shard.");
                    }
                }
            }

            if (files.Length > 1 || source.EndsWith(".index.json", StringComparison.Ordinal))
            {
                CheckIndexCovered(source, weights);
            }

            if (!isSafetensors)
            {
                CheckLayout(config, configPath, expected, weights.ToDictionary(w => w.Key, w => (DtypeName(w.Value.dtype), w.Value.shape), StringComparer.Ordinal), source);
            }

            return (weights, source);
        }
        catch
        {
            Free(weights);
            throw;
        }
    }

    /// <summary>A config whose parameters cannot fit in the weight files (at 2 bytes each, the smallest float) is an error naming its sizes.</summary>
    private static void CheckFitsInFiles(T5Config config, string configPath, string[] files, string source)
    {
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var parameters = T5ParameterShapes.Count(config);
        if (parameters * 2 > bytes)
        {
            throw new ModelFormatException(configPath,
                $"the config ({config.DescribeSizes()}) describes {parameters} parameters, at least {parameters * 2} bytes, " +
                $"but the weights ({source}) hold {bytes} bytes; a size key is wrong.");
        }
    }

    /// <summary>Names, dtypes and shapes of the checkpoint against those the config gives, with HF's aliases; every mismatch in one error.</summary>
    private static void CheckLayout(T5Config config, string configPath, IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, (string Dtype, long[] Shape)> found, string source)
    {
        var aliases = Aliases(config);
        var resolved = new Dictionary<string, (string From, string Dtype, long[] Shape)>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (key, (dtype, shape)) in found.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (expected.ContainsKey(key))
            {
                resolved[key] = (key, dtype, shape);
            }
            else if (aliases.TryGetValue(key, out var canonical))
            {
                if (!found.ContainsKey(canonical))
                {
                    resolved.TryAdd(canonical, (key, dtype, shape));
                }
            }
            else if (!IgnoredKeys.Contains(key))
            {
                unexpected.Add(key);
            }
        }

        var parts = new List<string>();
        var missing = expected.Keys.Where(k => !resolved.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            parts.Add($"missing keys: {Join(missing)}");
        }

        if (unexpected.Count > 0)
        {
            parts.Add($"unexpected keys: {Join(unexpected)}");
        }

        var wrongDtypes = resolved.Where(r => !SafetensorsFile.IsFloatingPoint(r.Value.Dtype))
            .Select(r => $"{r.Value.From} is {r.Value.Dtype}").ToList();
        if (wrongDtypes.Count > 0)
        {
            parts.Add($"T5 weights are floating point (F32, F16, BF16, F64), but {Join(wrongDtypes)}");
        }

        var wrongShapes = resolved.Where(r => expected.TryGetValue(r.Key, out var e) && !e.SequenceEqual(r.Value.Shape))
            .Select(r => $"{r.Value.From}: checkpoint {Shape(r.Value.Shape)} but the config gives {Shape(expected[r.Key])}").ToList();
        if (wrongShapes.Count > 0)
        {
            parts.Add($"shape mismatch: {Join(wrongShapes)}");
        }

        if (parts.Count > 0)
        {
            throw new ModelFormatException(source, $"the weights do not match the T5 config {configPath} ({string.Join("; ", parts)}).");
        }
    }

    private static Dictionary<string, string> Aliases(T5Config config)
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["encoder.embed_tokens.weight"] = "shared.weight",
            ["decoder.embed_tokens.weight"] = "shared.weight",
        };
        if (config.TieWordEmbeddings)
        {
            aliases["lm_head.weight"] = "shared.weight";
        }

        return aliases;
    }

    private static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        _ => dtype.ToString(),
    };

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        try
        {
            return Safetensors.LoadStateDict(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ModelFormatException(path, $"could not read the safetensors file: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, Tensor> ReadPickle(string path)
    {
        ZipEntryChecksums.Verify(path);
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ModelFormatException(path, $"could not read the PyTorch checkpoint (truncated or not a torch.save state dict): {ex.Message}", ex);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is string key && entry.Value is Tensor tensor)
                {
                    result[key] = tensor;
                }
                else
                {
                    throw new ModelFormatException(path, $"entry \"{entry.Key}\" is not a tensor; expected a state dict (name -> tensor).");
                }
            }
        }
        catch
        {
            foreach (var value in table.Values)
            {
                (value as IDisposable)?.Dispose();
            }

            throw;
        }

        return result;
    }

    private static Dictionary<string, string> WeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath), new JsonDocumentOptions { AllowDuplicateProperties = false });
            return document.RootElement.GetProperty("weight_map").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString() ?? throw new InvalidDataException($"weight_map[\"{p.Name}\"] is null."));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or ArgumentException)
        {
            throw new ModelFormatException(indexPath, $"malformed shard index (expected {{\"weight_map\": {{key: file}}}}): {ex.Message}", ex);
        }
    }

    private static string[] ShardFiles(string indexPath)
    {
        var folder = Path.GetDirectoryName(indexPath)!;
        var files = new List<string>();
        foreach (var shard in WeightMap(indexPath).Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (shard.Length == 0 || Path.IsPathRooted(shard) || shard.Contains("..", StringComparison.Ordinal) || shard.IndexOfAny(['/', '\\']) >= 0)
            {
                throw new ModelFormatException(indexPath, $"shard \"{shard}\" must be a file name in the checkpoint folder.");
            }

            var shardPath = Path.Combine(folder, shard);
            if (!File.Exists(shardPath))
            {
                throw new FileNotFoundException($"{indexPath}: shard {shard} is listed but not found.", shardPath);
            }

            files.Add(shardPath);
        }

        return [.. files];
    }

    private static void CheckIndexCovered(string indexPath, Dictionary<string, Tensor> weights)
    {
        var absent = WeightMap(indexPath).Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (absent.Count > 0)
        {
            throw new ModelFormatException(indexPath, $"keys listed in weight_map are missing from their shards: {Join(absent)}");
        }
    }

    /// <summary>Copies checkpoint tensors into the model by name, resolving HF's aliases; lists every mismatch in one error.</summary>
    internal static void Apply(T5ForConditionalGeneration model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var target = model.state_dict();
        var aliases = Aliases(model.Config);

        var resolved = new Dictionary<string, (string From, Tensor Tensor)>(StringComparer.Ordinal);
        var unexpected = new List<string>();
        foreach (var (key, tensor) in weights.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (target.ContainsKey(key))
            {
                resolved[key] = (key, tensor);
            }
            else if (aliases.TryGetValue(key, out var canonical))
            {
                if (!weights.ContainsKey(canonical))
                {
                    resolved.TryAdd(canonical, (key, tensor));
                }
            }
            else if (!IgnoredKeys.Contains(key))
            {
                unexpected.Add(key);
            }
        }

        var missing = target.Keys.Where(k => !resolved.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0)
            {
                parts.Add($"missing keys: {Join(missing)}");
            }

            if (unexpected.Count > 0)
            {
                parts.Add($"unexpected keys: {Join(unexpected)}");
            }

            throw new ModelFormatException(source, $"the weights do not match the T5 config ({string.Join("; ", parts)}).");
        }

        var wrongShapes = resolved
            .Where(r => !r.Value.Tensor.shape.SequenceEqual(target[r.Key].shape))
            .Select(r => $"{r.Value.From}: checkpoint {Shape(r.Value.Tensor.shape)} but the config gives {Shape(target[r.Key].shape)}")
            .ToList();
        if (wrongShapes.Count > 0)
        {
            throw new ModelFormatException(source, $"shape mismatch: {string.Join("; ", wrongShapes)}.");
        }

        using var noGrad = no_grad();
        foreach (var (key, (_, tensor)) in resolved)
        {
            using var converted = tensor.to(target[key].dtype);
            target[key].copy_(converted);
        }
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string Join(IReadOnlyCollection<string> keys) =>
        keys.Count <= 20 ? string.Join(", ", keys) : string.Join(", ", keys.Take(20)) + $", ... ({keys.Count} in all)";
}
