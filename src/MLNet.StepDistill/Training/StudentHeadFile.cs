using System.Text.Json;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Training;

/// <summary>Reads and checks a student's <c>head.json</c> from a model zip, and restates weight errors as errors about the zip's entries.</summary>
internal static class StudentHeadFile
{
    /// <exception cref="ModelFormatException">The entry is not JSON, repeats a key, is of a format this library does not read, or holds a value no student can have.</exception>
    public static StudentAnswerSpec Read(ArchiveFolder folder, string entry)
    {
        var path = folder.ArchivePath;
        var name = folder.EntryName(entry);
        StudentAnswerSpec spec;
        try
        {
            using var stream = folder.Open(entry);
            spec = StudentAnswerSpecJson.Read(stream);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(path, $"entry {name}: {ex.Message.Split(" Path:", 2)[0]}{(ex is JsonException { Path: { } p } ? $" (key {p})" : "")}", ex);
        }

        return spec.Problem() is { } problem ? throw new ModelFormatException(path, $"entry {name}: {problem}.") : spec;
    }

    /// <summary>An error about a file of the extraction folder, restated as one about the zip's entry.</summary>
    public static ModelFormatException InEntry(ArchiveFolder folder, string prefix, string extracted, Exception error)
    {
        var message = error is ModelFormatException model ? model.Message : error.Message;
        message = message.Replace(extracted + Path.DirectorySeparatorChar, prefix, StringComparison.Ordinal).Replace(extracted, prefix.TrimEnd('/'), StringComparison.Ordinal);
        return error is FileIntegrityException
            ? new FileIntegrityException(folder.ArchivePath, $"entry {message}")
            : new ModelFormatException(folder.ArchivePath, $"entry {message}", error);
    }
}
