using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>
    /// Checks the header and that every tensor's bytes lie inside the file; returns the tensor names and shapes.
    /// </summary>
    /// <exception cref="InvalidDataException">Truncated or malformed file; the message names it.</exception>
    public static IReadOnlyDictionary<string, long[]> Validate(string path)
    {
        var fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
        {
            throw new InvalidDataException($"{path}: truncated safetensors file ({fileLength} bytes; the 8-byte header length is missing).");
        }

        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8) || headerLength > 100_000_000)
        {
            throw new InvalidDataException(
                $"{path}: truncated or malformed safetensors file: the header claims {headerLength} bytes but only {fileLength - 8} follow.");
        }

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidDataException($"{path}: malformed safetensors header (null).");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: malformed safetensors header: {ex.Message}", ex);
        }

        var dataLength = fileLength - 8 - (long)headerLength;
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                continue;
            }

            try
            {
                var entry = node!.AsObject();
                var dtype = entry["dtype"]!.GetValue<string>();
                var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var offsets = entry["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (!ElementSizes.TryGetValue(dtype, out var size))
                {
                    throw new InvalidDataException($"unsupported dtype \"{dtype}\"");
                }

                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                {
                    throw new InvalidDataException("data_offsets must be [begin, end] with begin <= end");
                }

                var expected = shape.Aggregate(1L, (a, b) => a * b) * size;
                if (offsets[1] - offsets[0] != expected)
                {
                    throw new InvalidDataException($"data_offsets span {offsets[1] - offsets[0]} bytes but {dtype}{Shape(shape)} needs {expected}");
                }

                if (offsets[1] > dataLength)
                {
                    throw new InvalidDataException(
                        $"truncated file: the tensor needs bytes up to {offsets[1]} of the data section but the file holds {dataLength}");
                }

                shapes[name] = shape;
            }
            catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\": {ex.Message}", ex);
            }
        }

        return shapes;
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
