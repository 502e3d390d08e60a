using System.Collections;
using System.Text.Json;
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

    public static T5ForConditionalGeneration Load(string folder, Device device, T5Precision? precision)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"T5 checkpoint folder not found: {folder}");
        }

        var config = T5Config.Load(Path.Combine(folder, "config.json"));
        var spiece = Path.Combine(folder, T5Tokenizer.ModelFileName);
        var tokenizer = File.Exists(spiece) ? T5Tokenizer.FromFile(spiece, config.VocabSize) : null;
        var model = new T5ForConditionalGeneration(config, tokenizer, initialize: false);
        try
        {
            var (weights, source) = ReadStateDict(folder);
            try
            {
                Apply(model, weights, source);
            }
            finally
            {
                foreach (var tensor in weights.Values)
                {
                    tensor.Dispose();
                }
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        model.To(device, precision);
        model.eval();
        return model;
    }

    /// <summary>All tensors of the checkpoint and a description of the file(s) they came from.</summary>
    internal static (Dictionary<string, Tensor> Weights, string Source) ReadStateDict(string folder)
    {
        var safetensors = Path.Combine(folder, SafetensorsName);
        var pickle = Path.Combine(folder, PickleName);
        if (File.Exists(safetensors + ".index.json"))
        {
            return ReadSharded(safetensors + ".index.json", ReadSafetensors);
        }

        if (File.Exists(safetensors))
        {
            return (ReadSafetensors(safetensors), safetensors);
        }

        if (File.Exists(pickle + ".index.json"))
        {
            return ReadSharded(pickle + ".index.json", ReadPickle);
        }

        if (File.Exists(pickle))
        {
            return (ReadPickle(pickle), pickle);
        }

        throw new FileNotFoundException(
            $"{folder}: no weights found; expected {SafetensorsName}, {SafetensorsName}.index.json, {PickleName} or {PickleName}.index.json.");
    }

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        SafetensorsFile.Validate(path);
        try
        {
            return Safetensors.LoadStateDict(path);
        }
        catch (Exception ex)
        {
            throw new InvalidDataException($"{path}: could not read the safetensors file: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, Tensor> ReadPickle(string path)
    {
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception ex)
        {
            throw new InvalidDataException($"{path}: could not read the PyTorch checkpoint (truncated or not a torch.save state dict): {ex.Message}", ex);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key && entry.Value is Tensor tensor)
            {
                result[key] = tensor;
            }
            else
            {
                throw new InvalidDataException($"{path}: entry \"{entry.Key}\" is not a tensor; expected a state dict (name -> tensor).");
            }
        }

        return result;
    }

    private static (Dictionary<string, Tensor>, string) ReadSharded(string indexPath, Func<string, Dictionary<string, Tensor>> readShard)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(indexPath));
            weightMap = document.RootElement.GetProperty("weight_map").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString() ?? throw new InvalidDataException($"{indexPath}: weight_map[\"{p.Name}\"] is null."));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{indexPath}: malformed shard index (expected {{\"weight_map\": {{key: file}}}}): {ex.Message}", ex);
        }

        var folder = Path.GetDirectoryName(indexPath)!;
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var shard in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var shardPath = Path.Combine(folder, shard);
            if (!File.Exists(shardPath))
            {
                throw new FileNotFoundException($"{indexPath}: shard {shard} is listed but not found.", shardPath);
            }

            foreach (var (key, tensor) in readShard(shardPath))
            {
                weights[key] = tensor;
            }
        }

        var absent = weightMap.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        if (absent.Count > 0)
        {
            throw new InvalidDataException($"{indexPath}: keys listed in weight_map are missing from their shards: {Join(absent)}");
        }

        return (weights, indexPath);
    }

    /// <summary>Copies checkpoint tensors into the model by name, resolving HF's aliases; lists every mismatch in one error.</summary>
    internal static void Apply(T5ForConditionalGeneration model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var target = model.state_dict();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["encoder.embed_tokens.weight"] = "shared.weight",
            ["decoder.embed_tokens.weight"] = "shared.weight",
        };
        if (model.Config.TieWordEmbeddings)
        {
            aliases["lm_head.weight"] = "shared.weight";
        }

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

            throw new InvalidDataException($"{source}: the weights do not match the T5 config ({string.Join("; ", parts)}).");
        }

        var wrongShapes = resolved
            .Where(r => !r.Value.Tensor.shape.SequenceEqual(target[r.Key].shape))
            .Select(r => $"{r.Value.From}: checkpoint {Shape(r.Value.Tensor.shape)} but the config gives {Shape(target[r.Key].shape)}")
            .ToList();
        if (wrongShapes.Count > 0)
        {
            throw new InvalidDataException($"{source}: shape mismatch: {string.Join("; ", wrongShapes)}.");
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
