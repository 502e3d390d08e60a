using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A disk cache of teacher completions, shareable between runs, datasets and processes: a folder of append-only
/// JSONL files, one record a line, keyed by a SHA-256 hash of (teacher identity, system, user prompt, temperature,
/// max output tokens, sample index). No secret is part of a key or a record.
/// </summary>
/// <remarks>
/// <para>Every open cache writes its own file (<c>teacher-calls-{utc time}-{process id}-{random}.jsonl</c>), created on
/// the first write, and reads all <c>*.jsonl</c> files of the folder when it opens (in name order, so a later record
/// wins). Giving each writer its own file is what keeps two processes from corrupting each other's lines: .NET does
/// not open files with <c>O_APPEND</c>, so two writers appending to one file could overwrite each other's bytes.
/// Correctness never depends on a lock. To keep two processes from paying twice for the same prompt, a
/// <see cref="CachingTeacher"/> also holds a lease file per key while it asks (<c>leases/{key}.lease</c>), and
/// <see cref="Refresh"/> reads what other writers appended since; a lease left by a process that died is taken over.</para>
/// <para>Within a process writes are serialised; each record is written as one whole line and flushed to the
/// operating system at once, so a crash loses at most the record being written. A torn or garbled line (or any
/// unreadable one) is skipped with a warning naming the file and line, never failing the run.</para>
/// </remarks>
public sealed class TeacherCallCache : IDisposable
{
    private const string FilePrefix = "teacher-calls-";

    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, TeacherCompletion> completions = new(StringComparer.Ordinal);
    private readonly Action<string>? onWarning;
    private readonly Lock writeLock = new();
    private readonly Lock readLock = new();
    private readonly Dictionary<string, (long Offset, int Lines)> readUpTo = new(StringComparer.Ordinal);
    private long lastRefresh = long.MinValue / 2;
    private FileStream? writer;
    private CacheLeases? leases;
    private bool disposed;

    private TeacherCallCache(string folder, Action<string>? onWarning)
    {
        Folder = folder;
        this.onWarning = onWarning;
    }

    /// <summary>The folder the cache lives in.</summary>
    public string Folder { get; }

    /// <summary>How many distinct keys the cache holds.</summary>
    public int Count => completions.Count;

    /// <summary>The lease files that keep two processes from asking the same prompt at once.</summary>
    internal CacheLeases Leases => leases ??= new CacheLeases(Folder);

    /// <summary>The file this cache appends to, or <c>null</c> before its first write.</summary>
    public string? WritePath { get; private set; }

    /// <summary>Opens (creating if needed) the cache in <paramref name="folder"/> and loads every record in it.</summary>
    /// <param name="folder">The cache folder; share it between runs and datasets.</param>
    /// <param name="onWarning">Told about each skipped line (file, line number, why); <c>null</c> to ignore.</param>
    public static TeacherCallCache Open(string folder, Action<string>? onWarning = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var cache = new TeacherCallCache(Path.GetFullPath(folder), onWarning);
        Directory.CreateDirectory(cache.Folder);
        foreach (var path in Directory.EnumerateFiles(cache.Folder, "*.jsonl").Order(StringComparer.Ordinal))
        {
            cache.Load(path);
        }
        return cache;
    }

    /// <summary>
    /// The cache key of one sample: lowercase hex SHA-256 over the teacher identity, system and user messages,
    /// temperature, max output tokens and the sample's index (the number of samples asked for is not part of it,
    /// so asking for more samples later reuses the first ones).
    /// </summary>
    /// <param name="cacheIdentity">The teacher's <see cref="ITeacher.CacheIdentity"/>.</param>
    /// <param name="prompt">The prompt (its row id is not part of the key: the same text is the same call).</param>
    /// <param name="sampling">The sampling settings.</param>
    /// <param name="sampleIndex">Which sample, from 0.</param>
    public static string ComputeKey(string cacheIdentity, TeacherPrompt prompt, TeacherSampling sampling, int sampleIndex)
    {
        ArgumentNullException.ThrowIfNull(cacheIdentity);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleIndex);
        // A JSON array is an unambiguous encoding of the parts (no separator can be forged by prompt text).
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteStringValue("teacher-call/v1");
            json.WriteStringValue(cacheIdentity);
            json.WriteStringValue(string.IsNullOrEmpty(prompt.System) ? null : prompt.System); // no system message either way
            json.WriteStringValue(prompt.User);
            json.WriteStringValue(sampling.Temperature.ToString("R", CultureInfo.InvariantCulture));
            json.WriteNumberValue(sampling.MaxOutputTokens);
            json.WriteNumberValue(sampleIndex);
            if (prompt.ResponseSchema is { } responseSchema)
            {
                // Only when set, so the keys of free-text calls stay those of earlier versions.
                json.WriteStringValue(responseSchema);
            }

            json.WriteEndArray();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>Looks a key up.</summary>
    public bool TryGet(string key, [NotNullWhen(true)] out TeacherCompletion? completion) =>
        completions.TryGetValue(key, out completion);

    /// <summary>
    /// Stores a completion in memory and appends it to this cache's file as one flushed line. Safe to call from many
    /// threads at once.
    /// </summary>
    /// <param name="key">The key from <see cref="ComputeKey"/>.</param>
    /// <param name="completion">The completion to keep.</param>
    /// <param name="teacher">The teacher identity, written with the record for people reading the file.</param>
    /// <param name="sampleIndex">The sample index, written with the record for people reading the file.</param>
    public void Add(string key, TeacherCompletion completion, string teacher, int sampleIndex)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(completion);
        var record = new CacheRecord(key, teacher, sampleIndex, completion.Text, completion.PromptTokens, completion.CompletionTokens, DateTimeOffset.UtcNow);
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record, RecordJson) + "\n");
        lock (writeLock)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var writer = this.writer ??= CreateWriter();
            writer.Write(line);
            writer.Flush();
        }
        completions[key] = completion;
    }

    /// <summary>Closes this cache's file.</summary>
    public void Dispose()
    {
        lock (writeLock)
        {
            disposed = true;
            writer?.Dispose();
            writer = null;
        }
    }

    private FileStream CreateWriter()
    {
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{FilePrefix}{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.jsonl");
        WritePath = Path.Combine(Folder, name);
        return new FileStream(WritePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    /// <summary>
    /// Reads the records other writers appended since this cache last looked (their files, new files included), so a
    /// completion another process just received is a hit here too. Reads only whole lines; cheap when nothing changed.
    /// Calls closer together than 50 ms share one look unless <paramref name="force"/> is set.
    /// </summary>
    /// <param name="force">Look now, however recently the last look was.</param>
    public void Refresh(bool force = false)
    {
        lock (readLock)
        {
            var now = Environment.TickCount64;
            if (!force && now - lastRefresh < 50)
            {
                return;
            }
            lastRefresh = now;
            foreach (var path in Directory.EnumerateFiles(Folder, "*.jsonl").Order(StringComparer.Ordinal))
            {
                if (path != WritePath)
                {
                    Load(path, initial: false);
                }
            }
        }
    }

    private void Load(string path, bool initial = true)
    {
        var (offset, lineNumber) = readUpTo.GetValueOrDefault(path);
        if (!initial && new FileInfo(path) is var info && (!info.Exists || info.Length <= offset))
        {
            return;   // nothing new: a stat, not an open
        }
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length <= offset)
            {
                return;
            }
            stream.Position = offset;
            bytes = new byte[stream.Length - offset];
            stream.ReadExactly(bytes);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0 && !initial)
            {
                break;   // a line another writer is still writing: read it next time
            }
            var length = (end < 0 ? bytes.Length : end) - start;
            lineNumber++;
            var line = Encoding.UTF8.GetString(bytes, start, length).TrimEnd('\r');
            start += length + (end < 0 ? 0 : 1);
            if (end >= 0)
            {
                readUpTo[path] = (offset + start, lineNumber);
            }
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            if (TryParse(line, out var record, out var problem))
            {
                completions[record.Key] = new TeacherCompletion(record.Text, record.PromptTokens, record.CompletionTokens);
            }
            else
            {
                onWarning?.Invoke($"{path}:{lineNumber}: skipped an unreadable teacher-cache record ({problem}).");
            }
        }
    }

    private static bool TryParse(string line, [NotNullWhen(true)] out CacheRecord? record, out string problem)
    {
        record = null;
        try
        {
            record = JsonSerializer.Deserialize<CacheRecord>(line, RecordJson);
        }
        catch (JsonException e)
        {
            problem = $"not valid JSON at byte {e.BytePositionInLine}";
            return false;
        }
        if (record is null || string.IsNullOrEmpty(record.Key) || record.Text is null)
        {
            problem = "no key or text";
            record = null;
            return false;
        }
        problem = "";
        return true;
    }

    /// <summary>One line of a cache file.</summary>
    private sealed record CacheRecord(
        string Key, string? Teacher, int Sample, string Text, int? PromptTokens, int? CompletionTokens, DateTimeOffset At);
}
