namespace MLNet.StepDistill.Tasks;

/// <summary>
/// The ids seen so far in one data file: an empty id, or one that appeared on an earlier line, is an error naming both
/// lines (rows are joined to teacher completions and caches by id, so two rows with one id would share a rationale).
/// </summary>
internal sealed class DatasetIds(string path, string idField)
{
    private readonly Dictionary<string, long> lines = new(StringComparer.Ordinal);

    public void Add(string id, long line)
    {
        if (id.Length == 0)
        {
            throw new DatasetFormatException(path, line, idField, "empty id");
        }

        if (!lines.TryAdd(id, line))
        {
            throw new DatasetFormatException(path, line, idField, $"id \"{id}\" is also the id of line {lines[id]}; ids must be unique");
        }
    }
}
