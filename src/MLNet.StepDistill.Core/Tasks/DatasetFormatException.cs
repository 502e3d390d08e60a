namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A data or manifest file that cannot be read as it should: the message names the file, and the line and
/// field when they are known, e.g. <c>datasets/cqa/test.jsonl line 7, field "choices": expected an array of strings, found a string</c>.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception; the message is composed from the location and the problem.</summary>
    /// <param name="filePath">The file at fault (or a description of the source, e.g. "DataFrame").</param>
    /// <param name="line">The 1-based line (or row) number, when known.</param>
    /// <param name="field">The field or column at fault, when known.</param>
    /// <param name="problem">What is wrong, in words.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public DatasetFormatException(string filePath, long? line, string? field, string problem, Exception? inner = null)
        : base(Compose(filePath, line, field, problem), inner)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file at fault (or a description of the source).</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line (or row) number, when known.</summary>
    public long? Line { get; }

    /// <summary>The field or column at fault, when known.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Compose(string filePath, long? line, string? field, string problem)
    {
        var where = filePath;
        if (line is { } l)
        {
            where += $" line {l}";
        }

        if (field is not null)
        {
            where += $", field \"{field}\"";
        }

        return $"{where}: {problem}";
    }
}
