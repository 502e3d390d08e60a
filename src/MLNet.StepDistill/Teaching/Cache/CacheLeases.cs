using System.Diagnostics;
using System.Globalization;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// One lease file per cache key that a process is asking the teacher for right now
/// (<c>{cache}/leases/{key}.lease</c>, created with <see cref="FileMode.CreateNew"/>, which is atomic on local file
/// systems, and holding the owner's host, process id and start time). Another process that finds the lease waits for
/// the answer to appear in the cache instead of asking too. A lease is given up when its call ends (answered or
/// failed); one left by a process that died is taken over when the owner process is gone (same host) or the lease is
/// older than <see cref="StaleAfter"/>.
/// </summary>
/// <remarks>
/// A lease is created empty and its owner line written right after, while its creator holds the file open; a creator
/// killed in between leaves an empty lease. An empty lease that no process holds open (its writer is gone), or that
/// is older than <see cref="EmptyStaleAfter"/>, is taken over at once. A lease is only ever deleted by another process
/// while that process holds it exclusively (after reading it again under that hold), and a creator reads its lease
/// back after writing it, so a creator whose new lease was judged abandoned in the instant before it took hold of it
/// finds out and waits instead of asking too.
/// </remarks>
internal sealed class CacheLeases
{
    private readonly string folder;

    public CacheLeases(string cacheFolder)
    {
        folder = Path.Combine(cacheFolder, "leases");
        Directory.CreateDirectory(folder);
    }

    /// <summary>How old a lease may get before others take it over. Default 15 minutes.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How old an empty lease may get before others take it over even while a process holds it open (its owner line
    /// takes microseconds to write). Default 5 seconds.
    /// </summary>
    public TimeSpan EmptyStaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Takes the lease on <paramref name="key"/>, or returns <c>null</c> when a live owner holds it.</summary>
    public IDisposable? TryAcquire(string key)
    {
        var path = Path.Combine(folder, key + ".lease");
        var owner = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName} {Environment.ProcessId} {DateTimeOffset.UtcNow:O}");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(owner);
                }
                return IsOwnedBy(path, owner) ? new Lease(path) : null;
            }
            catch (IOException)
            {
                // Held by someone, or given up between our attempt and now (then the next attempt may take it).
                if (!TryRemoveStale(path))
                {
                    return null;
                }
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>
    /// Deletes the lease at <paramref name="path"/> when it is stale; true when the path is free to try again (the
    /// lease was stale, or is gone), false while a live owner holds it or it is being written.
    /// </summary>
    private bool TryRemoveStale(string path)
    {
        try
        {
            // Exclusive: fails while any process has the file open, i.e. while its creator is still writing it.
            // (On Windows, FileShare.Delete still refuses a writer's open handle and lets us delete the file while we hold it.)
            using var held = new FileStream(path, FileMode.Open, FileAccess.Read, OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None);
            if (!IsStale(held, File.GetLastWriteTimeUtc(path)))
            {
                return false;
            }
            File.Delete(path);   // while held: no creator can have opened and written it since we read it
            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
        catch (IOException)
        {
            // Someone has it open. An empty lease takes its creator microseconds to write: one still empty after
            // EmptyStaleAfter belongs to a creator that hangs (or a file system without locks), and is taken over.
            return IsEmptyAndOlderThan(path, EmptyStaleAfter) && TryDelete(path);
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether a lease nobody else has open is stale: empty (its writer is gone), too old, or its owner process is gone.</summary>
    private bool IsStale(FileStream lease, DateTime lastWriteUtc)
    {
        if (lease.Length == 0 || DateTime.UtcNow - lastWriteUtc > StaleAfter)
        {
            return true;
        }
        using var reader = new StreamReader(lease, leaveOpen: true);   // the caller still holds it
        var parts = reader.ReadToEnd().Split(' ');
        if (parts.Length >= 2 && parts[0] == Environment.MachineName && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            return !IsRunning(pid);
        }
        return false;   // another host's: trust it until StaleAfter
    }

    private static bool IsEmptyAndOlderThan(string path, TimeSpan age)
    {
        var info = new FileInfo(path);
        return info.Exists && info.Length == 0 && DateTime.UtcNow - info.LastWriteTimeUtc > age;
    }

    /// <summary>
    /// Whether the lease at <paramref name="path"/> is the one this process just wrote (not one another process put
    /// there after deleting ours as abandoned). A lease that cannot be read for a moment (another process checking it)
    /// is taken to be ours: a checker deletes only stale leases, and ours is written, fresh and its process alive.
    /// </summary>
    private static bool IsOwnedBy(string path, string owner)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return File.ReadAllText(path) == owner;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return false;
            }
            catch (IOException) when (attempt < 20)
            {
                Thread.Sleep(5);
            }
            catch (IOException)
            {
                return true;
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed class Lease(string path) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                TryDelete(path);
            }
        }
    }
}
