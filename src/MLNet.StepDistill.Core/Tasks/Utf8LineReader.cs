namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The lines of a UTF-8 byte stream, one at a time, without reading the whole stream: each line's bytes (no <c>\n</c>,
/// no trailing <c>\r</c>, a leading BOM dropped) stay valid until the next call. Memory is one buffer, grown to the
/// longest line up to <see cref="MaxLineBytes"/>; a longer line is skipped and reported as too long.
/// </summary>
internal sealed class Utf8LineReader(Stream stream, int maxLineBytes = Utf8LineReader.MaxLineBytes, int bufferBytes = 64 * 1024)
{
    /// <summary>The longest line kept by default (64 MiB); longer ones come back with <c>TooLong</c> set and no bytes.</summary>
    public const int MaxLineBytes = 64 << 20;

    private byte[] buffer = new byte[Math.Min(bufferBytes, maxLineBytes)];
    private int start;
    private int end;
    private bool endOfStream;
    private bool atStart = true;

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next line; false at the end of the stream.</summary>
    public bool TryRead(out ReadOnlyMemory<byte> line, out bool tooLong)
    {
        tooLong = false;
        var searched = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', start + searched, end - start - searched);
            if (newline >= 0)
            {
                line = Take(newline, newline + 1);
                return true;
            }

            searched = end - start;
            if (endOfStream)
            {
                if (end > start)
                {
                    line = Take(end, end);
                    return true;
                }

                line = default;
                return false;
            }

            if (start == 0 && end == buffer.Length)
            {
                if (buffer.Length >= maxLineBytes)
                {
                    SkipRestOfLine();
                    LineNumber++;
                    line = default;
                    tooLong = true;
                    return true;
                }

                Array.Resize(ref buffer, (int)Math.Min(maxLineBytes, buffer.Length * 2L));
            }

            Fill();
        }
    }

    private ReadOnlyMemory<byte> Take(int lineEnd, int next)
    {
        var from = start;
        if (atStart)
        {
            atStart = false;
            if (lineEnd - from >= 3 && buffer[from] == 0xEF && buffer[from + 1] == 0xBB && buffer[from + 2] == 0xBF)
            {
                from += 3;
            }
        }

        var to = lineEnd > from && buffer[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
        start = next;
        LineNumber++;
        return new ReadOnlyMemory<byte>(buffer, from, to - from);
    }

    /// <summary>Moves the unread bytes to the front and reads more after them.</summary>
    private void Fill()
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        var read = stream.Read(buffer, end, buffer.Length - end);
        if (read == 0)
        {
            endOfStream = true;
        }

        end += read;
    }

    private void SkipRestOfLine()
    {
        atStart = false;
        while (true)
        {
            start = end = 0;
            Fill();
            if (end == 0)
            {
                return;
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', 0, end);
            if (newline >= 0)
            {
                start = newline + 1;
                return;
            }
        }
    }
}
