using System.Text.Json;
using MLNet.StepDistill.Pipeline;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The provider batches of a cache folder, one JSON file each under <c>{cache}/batches/</c>: which cache keys a batch
/// covers, its input file and batch ids, its last known status, and whether its results are in the cache yet. Written
/// before the upload, before the create request and after the batch is created (each time atomically: a temporary file
/// moved into place; temporary files a killed run left are deleted when the store opens). A run killed before it saved
/// the batch id is covered by <see cref="BatchRunner"/>: it finds the batch, or the uploaded file, on the provider.
/// </summary>
internal sealed class BatchJobStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public BatchJobStore(string cacheFolder)
    {
        Folder = Path.Combine(cacheFolder, "batches");
        Directory.CreateDirectory(Folder);
        // batch-{job}.json.{pid}.tmp of killed runs
        StaleTempFiles.DeleteFiles(Folder, "batch-*.json.*.tmp", file => file[(file.LastIndexOf(".json.", StringComparison.Ordinal) + 6)..^4]);
    }

    public string Folder { get; }

    /// <summary>The batches of <paramref name="teacher"/> whose results are not collected yet (unreadable files are reported and skipped).</summary>
    public IReadOnlyList<BatchJobState> Pending(string teacher, Action<string> warn)
    {
        var pending = new List<BatchJobState>();
        foreach (var path in Directory.EnumerateFiles(Folder, "batch-*.json").Order(StringComparer.Ordinal))
        {
            BatchJobState? state;
            try
            {
                state = JsonSerializer.Deserialize<BatchJobState>(File.ReadAllText(path), Json);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                warn($"{path}: skipped an unreadable batch state file ({e.Message}).");
                continue;
            }
            if (state is { Collected: false } && state.Teacher == teacher)
            {
                pending.Add(state);
            }
        }
        return pending;
    }

    public void Save(BatchJobState state)
    {
        var path = Path.Combine(Folder, $"batch-{state.Job}.json");
        var temp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(state, Json));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>One provider batch as the store keeps it.</summary>
/// <param name="Job">Our id for it (the file name; also sent as batch metadata <c>stepdistill_job</c>).</param>
/// <param name="Teacher">The teacher's cache identity.</param>
/// <param name="Keys">The cache keys (= <c>custom_id</c>s) it asks for.</param>
/// <param name="InputFileId">The uploaded input file, once uploaded.</param>
/// <param name="BatchId">The provider's batch id, once created.</param>
/// <param name="Status">The last status seen (<c>preparing</c> before it is created).</param>
/// <param name="Collected">True once its results are in the cache.</param>
/// <param name="CreatedAt">When the job was started.</param>
/// <param name="CreateRequestedAt">When the last create request was sent (a restart gives the provider a few seconds to finish it).</param>
internal sealed record BatchJobState(string Job, string Teacher, IReadOnlyList<string> Keys, string? InputFileId, string? BatchId, string Status, bool Collected, DateTimeOffset CreatedAt,
    DateTimeOffset? CreateRequestedAt = null);
