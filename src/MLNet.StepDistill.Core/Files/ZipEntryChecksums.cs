using System.IO.Compression;

namespace MLNet.StepDistill.Files;

/// <summary>
/// Verifies a zip (an ML.NET model zip, a <c>torch.save</c> <c>pytorch_model.bin</c>) before anything in it is used: the
/// central directory can be read, no entry name appears twice, and every entry decompresses to exactly its recorded
/// length with its recorded CRC-32 (what Python's <c>zipfile.testzip</c> checks). .NET's zip reader checks neither.
/// </summary>
internal static class ZipEntryChecksums
{
    private static readonly uint[] Table = BuildTable();

    /// <exception cref="ModelFormatException">The file is not a readable zip, or names an entry twice.</exception>
    /// <exception cref="FileIntegrityException">An entry fails its CRC-32 or length, or cannot be decompressed.</exception>
    public static void Verify(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(path, $"not a readable zip file (truncated or damaged?): {ex.Message}", ex);
        }

        using (zip)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in Entries(zip, path))
            {
                if (!seen.Add(entry.FullName))
                {
                    throw new ModelFormatException(path, $"the zip holds entry \"{entry.FullName}\" twice; a model zip names each entry once.");
                }

                Check(entry, path);
            }
        }
    }

    private static IReadOnlyCollection<ZipArchiveEntry> Entries(ZipArchive zip, string path)
    {
        try
        {
            return zip.Entries;
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(path, $"the zip's central directory is damaged: {ex.Message}", ex);
        }
    }

    private static void Check(ZipArchiveEntry entry, string path)
    {
        var crc = 0xFFFFFFFFu;
        long length = 0;
        var buffer = new byte[81920];
        try
        {
            using var stream = entry.Open();
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                length += read;
                if (length > entry.Length)
                {
                    break;
                }

                for (var i = 0; i < read; i++)
                {
                    crc = Table[(crc ^ buffer[i]) & 0xFF] ^ (crc >> 8);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException or ArgumentException)
        {
            throw new FileIntegrityException(path, $"entry \"{entry.FullName}\" cannot be read ({ex.Message}); the file is damaged: download or copy it again.");
        }

        if (length != entry.Length)
        {
            throw new FileIntegrityException(path, $"entry \"{entry.FullName}\" decompresses to {(length > entry.Length ? "more than " : "")}{length} bytes " +
                $"but the zip records {entry.Length}; the file is damaged: download or copy it again.");
        }

        crc ^= 0xFFFFFFFFu;
        if (crc != entry.Crc32)
        {
            throw new FileIntegrityException(path, $"entry \"{entry.FullName}\" fails its CRC-32 check (recorded {entry.Crc32:x8}, content {crc:x8}); " +
                "the file is damaged: download or copy it again.");
        }
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
