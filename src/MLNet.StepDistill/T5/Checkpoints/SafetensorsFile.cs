using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.StepDistill.Files;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header (per tensor: dtype, shape,
/// data_offsets into the data section; optional <c>__metadata__</c>), then the raw little-endian data.
/// Checks a file before it is read and writes files the Hugging Face readers accept.
/// </summary>
internal static class SafetensorsFile
{
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float64] = "F64", [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    /// <summary>The largest header accepted (100 MB, as Hugging Face's reader).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>One tensor's header entry: its dtype, shape and byte range in the data section.</summary>
    public sealed record Entry(string Dtype, long[] Shape, long Begin, long End);

    /// <summary>Whether <paramref name="dtype"/> is a floating-point safetensors dtype (F64, F32, F16, BF16).</summary>
    public static bool IsFloatingPoint(string dtype) => dtype is "F64" or "F32" or "F16" or "BF16";

    /// <summary>
    /// Checks the whole layout before anything is read: the header length lies inside the file and under
    /// <see cref="MaxHeaderBytes"/>; the header is valid UTF-8 JSON with unique keys; every tensor has a known dtype, a
    /// shape of non-negative sizes and <c>data_offsets</c> whose span is exactly dtype size x element count; and the
    /// tensors, in offset order, tile the data section exactly (no overlap, no gap, no bytes left over).
    /// </summary>
    /// <returns>Tensor name -> entry.</returns>
    /// <exception cref="ModelFormatException">Truncated or malformed file; the message names it and the tensor.</exception>
    public static IReadOnlyDictionary<string, Entry> Validate(string path)
    {
        var fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
        {
            throw new ModelFormatException(path, $"truncated safetensors file ({fileLength} bytes; the 8-byte header length is missing).");
        }

        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new ModelFormatException(path, $"truncated or malformed safetensors file: the header claims {headerLength} bytes but only {fileLength - 8} follow.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw new ModelFormatException(path, $"the safetensors header claims {headerLength} bytes; the limit is {MaxHeaderBytes}.");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
        {
            throw new ModelFormatException(path, "malformed safetensors header: it is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"malformed safetensors header (a tensor named twice is an error too): {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new ModelFormatException(path, $"malformed safetensors header: a tensor name is not valid text ({ex.Message}).", ex);
        }

        var dataLength = fileLength - 8 - (long)headerLength;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(path, $"malformed safetensors header: expected a JSON object, found {document.RootElement.ValueKind}.");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                string name;
                try
                {
                    name = property.Name;
                }
                catch (InvalidOperationException ex)
                {
                    throw new ModelFormatException(path, $"malformed safetensors header: a tensor name is not valid text ({ex.Message}).", ex);
                }

                if (name == "__metadata__")
                {
                    continue;
                }

                try
                {
                    entries.Add(name, ReadEntry(property.Value));
                }
                catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or FormatException or OverflowException or KeyNotFoundException or ArgumentException)
                {
                    throw new ModelFormatException(path, $"tensor \"{name}\": {ex.Message}", ex);
                }
            }
        }

        if (entries.OrderByDescending(e => e.Value.End).FirstOrDefault() is { Value.End: var end, Key: var last } && end > dataLength)
        {
            throw new ModelFormatException(path,
                $"tensor \"{last}\": truncated file: the tensor needs bytes up to {end} of the data section but the file holds {dataLength}.");
        }

        var ordered = entries.OrderBy(e => e.Value.Begin).ThenBy(e => e.Value.End).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var (before, after) = (ordered[i - 1], ordered[i]);
            if (after.Value.Begin < before.Value.End && after.Value.End > after.Value.Begin)
            {
                throw new ModelFormatException(path,
                    $"tensor \"{after.Key}\": data_offsets [{after.Value.Begin}, {after.Value.End}] overlap tensor \"{before.Key}\" [{before.Value.Begin}, {before.Value.End}].");
            }
        }

        long expectedBegin = 0;
        string? previous = null;
        foreach (var (name, entry) in ordered)
        {
            if (entry.Begin != expectedBegin)
            {
                throw new ModelFormatException(path, entry.Begin < expectedBegin
                    ? $"tensor \"{name}\": data_offsets [{entry.Begin}, {entry.End}] overlap tensor \"{previous}\", which ends at {expectedBegin}."
                    : $"tensor \"{name}\": data_offsets [{entry.Begin}, {entry.End}] leave a gap after byte {expectedBegin} of the data section.");
            }

            if (entry.End > dataLength)
            {
                throw new ModelFormatException(path,
                    $"tensor \"{name}\": truncated file: the tensor needs bytes up to {entry.End} of the data section but the file holds {dataLength}.");
            }

            expectedBegin = entry.End;
            previous = name;
        }

        if (expectedBegin != dataLength)
        {
            throw new ModelFormatException(path, $"the tensors cover {expectedBegin} bytes of the data section but it holds {dataLength}; the offsets are wrong or the file has extra bytes.");
        }

        return entries;
    }

    private static Entry ReadEntry(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"expected an object with dtype, shape and data_offsets, found {value.ValueKind}");
        }

        var dtype = value.GetProperty("dtype").GetString() ?? throw new InvalidDataException("dtype is null");
        if (!ElementSizes.TryGetValue(dtype, out var size))
        {
            throw new InvalidDataException($"unsupported dtype \"{dtype}\"; known: {string.Join(", ", ElementSizes.Keys)}");
        }

        var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (shape.Any(d => d < 0))
        {
            throw new InvalidDataException($"shape {Shape(shape)} has a negative size");
        }

        var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
        {
            throw new InvalidDataException("data_offsets must be [begin, end] with 0 <= begin <= end");
        }

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => a * b) * size);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"shape {Shape(shape)} has more elements than any file can hold");
        }

        if (offsets[1] - offsets[0] != expected)
        {
            throw new InvalidDataException($"data_offsets span {offsets[1] - offsets[0]} bytes but {dtype}{Shape(shape)} needs {expected}");
        }

        return new Entry(dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>Writes tensors (moved to the CPU, contiguous) with <c>__metadata__ {"format": "pt"}</c>, as HF's <c>save_file</c>.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        var data = new List<Tensor>();
        long offset = 0;
        try
        {
            foreach (var (name, tensor) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                if (!DtypeNames.TryGetValue(tensor.dtype, out var dtype))
                {
                    throw new NotSupportedException($"Tensor \"{name}\" has dtype {tensor.dtype}, which this writer does not support.");
                }

                var cpuTensor = tensor.detach().cpu().contiguous();
                data.Add(cpuTensor);
                var bytes = cpuTensor.NumberOfElements * cpuTensor.ElementSize;
                header[name] = new JsonObject
                {
                    ["dtype"] = dtype,
                    ["shape"] = new JsonArray(cpuTensor.shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                    ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
                };
                offset += bytes;
            }

            var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
            var padded = (headerBytes.Length + 7) / 8 * 8;
            var headerPadded = Enumerable.Repeat((byte)' ', padded).ToArray();
            headerBytes.CopyTo(headerPadded, 0);

            using var stream = File.Create(path);
            Span<byte> lengthBytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
            stream.Write(lengthBytes);
            stream.Write(headerPadded);
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Writing safetensors needs a little-endian machine.");
            }

            foreach (var tensor in data)
            {
                stream.Write(tensor.bytes);
            }
        }
        finally
        {
            foreach (var tensor in data)
            {
                tensor.Dispose();
            }
        }
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
