using System.Text;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>
/// Seeded mutations of a file's bytes: bit flips, byte overwrites with random and boundary values, insertions,
/// deletions, duplicated ranges, truncation, boundary integers written over 4 or 8 bytes, and text mutations that
/// target what JSON and CSV readers must reject (invalid UTF-8, lone surrogate escapes, repeated keys, huge numbers).
/// </summary>
internal static class FuzzMutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, (byte)'"', (byte)',', (byte)'{', (byte)'}', (byte)'\n', (byte)'-'];

    private static readonly ulong[] InterestingIntegers =
        [0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0001, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue];

    private static readonly string[] InterestingNumbers =
        ["0", "-1", "1000000", "2147483647", "2147483648", "-2147483648", "9223372036854775808", "18446744073709551617", "1e309", "1.5", "NaN", "99999999999999999999999999"];

    /// <summary>One to three byte-level mutations, each inside [<paramref name="start"/>, <paramref name="end"/>) (the whole file by default).</summary>
    public static byte[] MutateBytes(byte[] original, Random rng, int start = 0, int end = -1)
    {
        var bytes = new List<byte>(original);
        var count = rng.Next(1, 4);
        for (var m = 0; m < count; m++)
        {
            var hi = Math.Min(end < 0 ? bytes.Count : end, bytes.Count);
            var lo = Math.Min(start, hi);
            if (hi - lo < 1)
            {
                bytes.Add((byte)rng.Next(256));
                continue;
            }

            var at = rng.Next(lo, hi);
            switch (rng.Next(9))
            {
                case 0:
                case 1:
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 2:
                    bytes[at] = (byte)rng.Next(256);
                    break;
                case 3:
                    bytes[at] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                    break;
                case 4:
                    bytes.InsertRange(at, Enumerable.Range(0, rng.Next(1, 9)).Select(_ => (byte)rng.Next(256)));
                    break;
                case 5:
                    bytes.RemoveRange(at, Math.Min(rng.Next(1, 17), bytes.Count - at));
                    break;
                case 6:
                    var length = Math.Min(rng.Next(1, 33), hi - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case 7:
                    bytes.RemoveRange(at, bytes.Count - at); // truncate
                    break;
                default:
                    var value = InterestingIntegers[rng.Next(InterestingIntegers.Length)];
                    var width = rng.Next(2) == 0 ? 4 : 8;
                    for (var i = 0; i < width && at + i < bytes.Count; i++)
                    {
                        bytes[at + i] = (byte)(value >> (8 * i));
                    }

                    break;
            }
        }

        var result = bytes.ToArray();
        return result.AsSpan().SequenceEqual(original) ? [.. original, (byte)rng.Next(256)] : result;
    }

    /// <summary>A mutation of UTF-8 text: half the time one aimed at JSON/CSV readers, otherwise <see cref="MutateBytes"/>.</summary>
    public static byte[] MutateText(byte[] original, Random rng)
    {
        if (rng.Next(2) == 0)
        {
            return MutateBytes(original, rng);
        }

        var text = Encoding.UTF8.GetString(original);
        var at = rng.Next(text.Length + 1);
        switch (rng.Next(6))
        {
            case 0: // invalid UTF-8: an encoded surrogate (ED A0 80), a lone continuation byte, or a truncated sequence
                byte[][] bad = [[0xED, 0xA0, 0x80], [0x80], [0xC3], [0xF0, 0x9F], [0xFF]];
                var prefix = Encoding.UTF8.GetBytes(text[..at]);
                return [.. prefix, .. bad[rng.Next(bad.Length)], .. Encoding.UTF8.GetBytes(text[at..])];
            case 1: // a lone surrogate escape inside the next string
                var quote = text.IndexOf('"', at);
                return quote < 0 ? MutateBytes(original, rng) : Encoding.UTF8.GetBytes(text[..(quote + 1)] + (rng.Next(2) == 0 ? "\\ud800" : "\\udfff") + text[(quote + 1)..]);
            case 2: // a number replaced by a boundary value
                var digit = text.IndexOfAny("0123456789".ToCharArray(), at);
                if (digit < 0)
                {
                    return MutateBytes(original, rng);
                }

                var stop = digit;
                while (stop < text.Length && (char.IsAsciiDigit(text[stop]) || text[stop] == '.'))
                {
                    stop++;
                }

                return Encoding.UTF8.GetBytes(text[..digit] + InterestingNumbers[rng.Next(InterestingNumbers.Length)] + text[stop..]);
            case 3: // a "key": value pair repeated (a duplicate key)
                var key = text.IndexOf('"', at);
                var comma = key < 0 ? -1 : text.IndexOf(',', key);
                return comma < 0 ? MutateBytes(original, rng) : Encoding.UTF8.GetBytes(text[..comma] + ", " + text[key..comma] + text[comma..]);
            case 4: // a line duplicated (a duplicate id in JSONL and CSV)
                var lines = text.Split('\n').ToList();
                var line = rng.Next(lines.Count);
                lines.Insert(line, lines[line]);
                return Encoding.UTF8.GetBytes(string.Join('\n', lines));
            default: // a character removed
                return at >= text.Length ? MutateBytes(original, rng) : Encoding.UTF8.GetBytes(text.Remove(at, 1));
        }
    }
}
