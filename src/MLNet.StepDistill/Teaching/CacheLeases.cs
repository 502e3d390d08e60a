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
internal sealed class CacheLeases
{
    private readonly string _folder;

    public CacheLeases(string cacheFolder)
    {
        _folder = Path.Combine(cacheFolder, "leases");
        Directory.CreateDirectory(_folder);
    }

    /// <summary>How old a lease may get before others take it over. Default 15 minutes.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Takes the lease on <paramref name="key"/>, or returns <c>null</c> when a live owner holds it.</summary>
    public IDisposable? TryAcquire(string key)
    {
        var path = Path.Combine(_folder, key + ".lease");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName} {Environment.ProcessId} {DateTimeOffset.UtcNow:O}"));
                }
                return new Lease(path);
            }
            catch (IOException)
            {
                // Held by someone, or given up between our attempt and now (then the next attempt may take it).
                if (File.Exists(path) && !IsStale(path))
                {
                    return null;
                }
                if (File.Exists(path))
                {
                    TryDelete(path);
                }
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>Whether a live owner still holds <paramref name="key"/>.</summary>
    public bool IsHeld(string key)
    {
        var path = Path.Combine(_folder, key + ".lease");
        return File.Exists(path) && !IsStale(path);
    }

    private bool IsStale(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return true;
            }
            if (DateTime.UtcNow - info.LastWriteTimeUtc > StaleAfter)
            {
                return true;
            }
            var parts = File.ReadAllText(path).Split(' ');
            if (parts.Length >= 2 && parts[0] == Environment.MachineName && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            {
                return !IsRunning(pid);
            }
            return false;   // being written, or another host's: trust it until StaleAfter
        }
        catch (IOException)
        {
            return false;
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

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class Lease(string path) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                TryDelete(path);
            }
        }
    }
}
