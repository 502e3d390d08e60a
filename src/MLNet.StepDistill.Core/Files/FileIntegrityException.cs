namespace MLNet.StepDistill.Files;

/// <summary>
/// A file whose content does not match its own checksum (a zip entry's CRC-32, a training checkpoint's SHA-256): it was
/// damaged after it was written, by a failed download, copy or disk. The message names the file and the part that
/// fails, and says what to do (get the file again; for a checkpoint, delete it or train without resume).
/// </summary>
public sealed class FileIntegrityException : ModelFormatException
{
    /// <summary>Creates the exception; the message is <c>"{filePath}: {problem}"</c>.</summary>
    /// <param name="filePath">The damaged file.</param>
    /// <param name="problem">Which part fails its checksum, and what to do.</param>
    public FileIntegrityException(string filePath, string problem)
        : base(filePath, problem)
    {
    }
}
