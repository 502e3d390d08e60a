using System.Buffers;
using System.Text;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A <see cref="TextReader"/> over a UTF-8 byte stream that keeps going past bytes that are not UTF-8: each invalid
/// sequence reads as U+FFFD and raises <see cref="TakeInvalid"/>, so a reader of records can tell which record held it
/// (<see cref="Read"/> raises it when the character is consumed, not when <see cref="Peek"/> looks ahead). A leading BOM
/// is dropped. Memory is one fixed buffer.
/// </summary>
internal sealed class Utf8TextReader : TextReader
{
    private const int NoPeek = -2;
    private readonly Stream stream;
    private readonly byte[] buffer = new byte[64 * 1024];
    private int position;
    private int length;
    private bool endOfStream;
    private int pendingLowSurrogate = -1;
    private int peeked = NoPeek;
    private bool peekedInvalid;
    private bool sawInvalid;

    public Utf8TextReader(Stream stream)
    {
        this.stream = stream;
        Fill();
        if (length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF)
        {
            position = 3;
        }
    }

    /// <summary>True when an invalid byte sequence was read since the last call.</summary>
    public bool TakeInvalid()
    {
        var seen = sawInvalid;
        sawInvalid = false;
        return seen;
    }

    public override int Peek()
    {
        if (peeked == NoPeek)
        {
            (peeked, peekedInvalid) = Decode();
        }

        return peeked;
    }

    public override int Read()
    {
        int c;
        bool invalid;
        if (peeked != NoPeek)
        {
            (c, invalid) = (peeked, peekedInvalid);
            peeked = NoPeek;
        }
        else
        {
            (c, invalid) = Decode();
        }

        sawInvalid |= invalid;
        return c;
    }

    private (int Char, bool Invalid) Decode()
    {
        if (pendingLowSurrogate >= 0)
        {
            var low = pendingLowSurrogate;
            pendingLowSurrogate = -1;
            return (low, false);
        }

        if (length - position < 4 && !endOfStream)
        {
            Fill();
        }

        if (position >= length)
        {
            return (-1, false);
        }

        var b = buffer[position];
        if (b < 0x80)
        {
            position++;
            return (b, false);
        }

        var status = Rune.DecodeFromUtf8(buffer.AsSpan(position, length - position), out var rune, out var consumed);
        position += Math.Max(1, consumed);
        if (status != OperationStatus.Done)
        {
            return ('\uFFFD', true);   // invalid bytes, or a sequence the stream cuts short
        }

        if (rune.IsBmp)
        {
            return (rune.Value, false);
        }

        Span<char> pair = stackalloc char[2];
        rune.EncodeToUtf16(pair);
        pendingLowSurrogate = pair[1];
        return (pair[0], false);
    }

    /// <summary>Moves the unread bytes to the front and reads until there are at least four or the stream ends.</summary>
    private void Fill()
    {
        if (position > 0)
        {
            Buffer.BlockCopy(buffer, position, buffer, 0, length - position);
            length -= position;
            position = 0;
        }

        while (length < 4 && !endOfStream)
        {
            var read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                endOfStream = true;
            }

            length += read;
        }
    }
}
