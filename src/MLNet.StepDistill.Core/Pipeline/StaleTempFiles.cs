using System.Diagnostics;
using System.Globalization;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// Temporary files and folders carry the id of the process that writes them (<c>checkpoint.bin.tmp-&lt;pid&gt;</c>,
/// <c>.model.zip.&lt;pid&gt;.tmp</c>, <c>.rows.jsonl.&lt;pid&gt;.tmp</c> of <c>annotate --out</c>,
/// <c>batches/batch-*.json.&lt;pid&gt;.tmp</c>, <c>stepdistill-load-&lt;pid&gt;-*</c>). A process that is killed leaves its
/// own behind; the next one to write or load there deletes those whose process is gone.
/// </summary>
internal static class StaleTempFiles
{
    /// <summary>The prefix of a model zip's extraction folder under the system temp folder; the pid follows.</summary>
    public static string LoadFolderPrefix => $"stepdistill-load-{Environment.ProcessId}-";

    /// <summary>
    /// Where a write of <paramref name="path"/> goes before it is moved into place: <c>.{name}.&lt;pid&gt;.tmp</c> in the
    /// same folder (model zips, <c>annotate --out</c>).
    /// </summary>
    public static string Beside(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
    }

    /// <summary>Deletes the <c>.{name}.&lt;pid&gt;.tmp</c> files (<see cref="Beside"/>) of <paramref name="path"/> whose process is gone.</summary>
    public static void DeleteBeside(string path)
    {
        var full = Path.GetFullPath(path);
        var name = Path.GetFileName(full);
        DeleteFiles(Path.GetDirectoryName(full)!, $".{name}.*.tmp", file => file[(name.Length + 2)..^4]);
    }

    /// <summary>Deletes the files in <paramref name="folder"/> matching <paramref name="pattern"/> whose pid (read by <paramref name="pidOf"/>) is no live process.</summary>
    public static void DeleteFiles(string folder, string pattern, Func<string, string?> pidOf)
    {
        foreach (var file in Safe(() => Directory.GetFiles(folder, pattern)))
        {
            if (IsStale(pidOf(Path.GetFileName(file))))
            {
                Try(() => File.Delete(file));
            }
        }
    }

    /// <summary>Deletes <c>stepdistill-load-&lt;pid&gt;-*</c> folders under the system temp folder whose process is gone.</summary>
    public static void DeleteLoadFolders()
    {
        foreach (var folder in Safe(() => Directory.GetDirectories(Path.GetTempPath(), "stepdistill-load-*")))
        {
            var parts = Path.GetFileName(folder).Split('-');
            if (parts.Length >= 4 && IsStale(parts[2]))
            {
                Try(() => Directory.Delete(folder, recursive: true));
            }
        }
    }

    private static bool IsStale(string? pidText)
    {
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string[] Safe(Func<string[]> list)
    {
        try
        {
            return list();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static void Try(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another process may be cleaning up too; a file that cannot go now goes next time.
        }
    }
}
