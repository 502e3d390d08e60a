using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>Builders for the files the issue's examples describe.</summary>
internal static class IssueExamples
{
    private static readonly Lazy<(string Zip, Dictionary<string, float[]> Weights)> SharedZip = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "stepdistill-tests-zip-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var zip = Path.Combine(folder, "model.zip");
        return (zip, FuzzFixtures.WriteModelZip(folder, zip));
    });

    /// <summary>A micro student's model zip, trained once per test run (read-only: copy it before changing it).</summary>
    public static string ModelZip => SharedZip.Value.Zip;

    public static Dictionary<string, float[]> ModelZipWeights => SharedZip.Value.Weights;

    /// <summary>The zip's entries with one replaced (and optionally one repeated), written with valid CRC-32s.</summary>
    public static void RewriteZip(string from, string to, Func<string, byte[], byte[]> edit, string? repeat = null)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        using (var archive = ZipFile.OpenRead(from))
        {
            foreach (var entry in archive.Entries)
            {
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                entries.Add((entry.FullName, copy.ToArray()));
            }
        }

        File.Delete(to);
        using var output = ZipFile.Open(to, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            var content = edit(name, bytes);
            for (var copies = name == repeat ? 2 : 1; copies > 0; copies--)
            {
                using var stream = output.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(content);
            }
        }
    }

    /// <summary>Flips one bit of a stored (uncompressed) entry's data inside the zip, leaving its recorded CRC-32 alone.</summary>
    public static void FlipBitInStoredEntry(string zip, string entryName)
    {
        RewriteZip(zip, zip + ".stored", (_, b) => b);
        File.Move(zip + ".stored", zip, overwrite: true);
        long offset;
        using (var archive = ZipFile.OpenRead(zip))
        {
            var entry = archive.GetEntry(entryName)!;
            using var stream = entry.Open();
            var first = new byte[Math.Min(64, entry.Length)];
            stream.ReadExactly(first);
            offset = IndexOf(File.ReadAllBytes(zip), first);
        }

        var bytes = File.ReadAllBytes(zip);
        bytes[offset + 40] ^= 0x10;
        File.WriteAllBytes(zip, bytes);
    }

    public static string EditJson(byte[] json, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return node.ToJsonString();
    }

    /// <summary>The id of a process that has exited (so its temp files are stale).</summary>
    public static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>A SentencePiece model: pad, eos, unk, then <paramref name="normalPieces"/> text pieces, and the given trainer_spec ids.</summary>
    public static byte[] SentencePiece(int normalPieces, ulong unkId = 2, ulong eosId = 1, ulong padId = 0)
    {
        var model = new List<byte>();
        var pieces = new List<(string, int)> { ("<pad>", 3), ("</s>", 3), ("<unk>", 2) };
        pieces.AddRange(Enumerable.Range(0, normalPieces).Select(i => ("\u2581" + (char)('a' + i % 26) + (i / 26 > 0 ? (i / 26).ToString() : ""), 1)));
        foreach (var (piece, type) in pieces)
        {
            var message = new List<byte>();
            Field(message, 1, Encoding.UTF8.GetBytes(piece));
            Varint(message, 3 << 3);
            Varint(message, (ulong)type);
            Field(model, 1, [.. message]);
        }

        var spec = new List<byte>();
        foreach (var (field, value) in new[] { (40, unkId), (41, ulong.MaxValue), (42, eosId), (43, padId) })
        {
            Varint(spec, (ulong)(field << 3));
            Varint(spec, value); // bos_id = -1, sign-extended as protobuf writes negative int32s
        }

        Field(model, 2, [.. spec]);
        return [.. model];
    }

    private static void Field(List<byte> output, int field, byte[] bytes)
    {
        Varint(output, (ulong)((field << 3) | 2));
        Varint(output, (ulong)bytes.Length);
        output.AddRange(bytes);
    }

    private static void Varint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    private static long IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        throw new InvalidOperationException("entry data not found in the zip");
    }
}
