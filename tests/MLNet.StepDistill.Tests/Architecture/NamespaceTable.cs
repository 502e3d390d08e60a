using System.Text.RegularExpressions;

namespace MLNet.StepDistill.Tests.Architecture;

/// <summary>One row of the "Namespaces and arrows" table: a namespace and the rows it may use.</summary>
public sealed record NamespaceRow(string Name, IReadOnlyList<string> MayUse);

/// <summary>
/// The namespace table of docs/architecture.md, read from its markdown: a row per namespace under
/// <c>MLNet.StepDistill</c> (its first segment; <c>root</c> is <c>MLNet.StepDistill</c> itself), in order, each naming
/// the rows it may use. A "may use" cell is row names separated by commas, each optionally followed by a remark in
/// parentheses; <c>all of the above</c> (every row above) and <c>nothing</c> are the two phrases it knows.
/// </summary>
public sealed partial class NamespaceTable
{
    /// <summary>The namespace every row lives under.</summary>
    public const string LibraryNamespace = "MLNet.StepDistill";

    /// <summary>The row of <see cref="LibraryNamespace"/> itself (the catalog).</summary>
    public const string RootRow = "root";

    private const string AllAbove = "all of the above";
    private const string Nothing = "nothing";

    private readonly Dictionary<string, int> positions;

    private NamespaceTable(IReadOnlyList<NamespaceRow> rows)
    {
        Rows = rows;
        positions = rows.Select((r, i) => (r.Name, i)).ToDictionary(p => p.Name, p => p.i);
    }

    /// <summary>The rows, in the table's order.</summary>
    public IReadOnlyList<NamespaceRow> Rows { get; }

    /// <summary>
    /// The row a namespace belongs to: <see cref="RootRow"/> for <c>MLNet.StepDistill</c>, the first segment after it
    /// otherwise (<c>MLNet.StepDistill.T5.Onnx</c> would be <c>T5</c>); null for a namespace outside the library.
    /// </summary>
    public static string? RowOf(string @namespace)
    {
        if (@namespace == LibraryNamespace)
        {
            return RootRow;
        }

        return @namespace.StartsWith(LibraryNamespace + ".", StringComparison.Ordinal)
            ? @namespace[(LibraryNamespace.Length + 1)..].Split('.')[0]
            : null;
    }

    /// <summary>Whether <paramref name="from"/> may use <paramref name="to"/> (a row always may use itself).</summary>
    public bool Allows(string from, string to) =>
        from == to || (positions.TryGetValue(from, out var i) && Rows[i].MayUse.Contains(to));

    /// <summary>Whether the table has a row of that name.</summary>
    public bool HasRow(string name) => positions.ContainsKey(name);

    /// <summary>
    /// Reads the first table after the heading <paramref name="heading"/> (a <c>## ...</c> line) of
    /// <paramref name="markdown"/>; its header must be <c>| namespace | may use |</c>.
    /// </summary>
    /// <exception cref="FormatException">The heading, the table or a cell cannot be read (the message says which).</exception>
    public static NamespaceTable Parse(string markdown, string heading)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        var at = Array.FindIndex(lines, l => l.Trim() == heading);
        if (at < 0)
        {
            throw new FormatException($"no heading '{heading}'");
        }

        var start = Array.FindIndex(lines, at + 1, l => l.TrimStart().StartsWith('|'));
        var nextHeading = Array.FindIndex(lines, at + 1, l => l.StartsWith("#", StringComparison.Ordinal));
        if (start < 0 || (nextHeading >= 0 && nextHeading < start))
        {
            throw new FormatException($"no table under '{heading}'");
        }

        var header = Cells(lines[start]);
        if (header.Length != 2 || header[0] != "namespace" || header[1] != "may use")
        {
            throw new FormatException($"the table under '{heading}' must have the header '| namespace | may use |', not '{lines[start].Trim()}'");
        }

        if (start + 1 >= lines.Length || !SeparatorPattern().IsMatch(lines[start + 1]))
        {
            throw new FormatException($"the table under '{heading}' has no '| --- | --- |' line under its header");
        }

        var rows = new List<NamespaceRow>();
        for (var i = start + 2; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            if (cells.Length != 2)
            {
                throw new FormatException($"line {i + 1} has {cells.Length} cells, not 2: '{lines[i].Trim()}'");
            }

            var name = Name(WithoutRemarks(cells[0]));
            if (name is null)
            {
                throw new FormatException($"line {i + 1}: '{cells[0]}' is not a namespace row name (one word, e.g. `Tasks`, or {RootRow})");
            }

            if (rows.Any(r => r.Name == name))
            {
                throw new FormatException($"line {i + 1}: the row {name} is in the table twice");
            }

            rows.Add(new NamespaceRow(name, MayUse(cells[1], rows, i + 1)));
        }

        if (rows.Count == 0)
        {
            throw new FormatException($"the table under '{heading}' has no rows");
        }

        return new NamespaceTable(rows);
    }

    /// <summary>
    /// What is wrong with the table itself: a name that is no row, a cycle, a row that may use a row below it (the rows
    /// are in order: each uses only rows above it, so nothing may use the last). Empty when it is sound.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var row in Rows)
        {
            foreach (var used in row.MayUse.Where(u => !HasRow(u)))
            {
                problems.Add($"{row.Name} may use {used}, which has no row");
            }
        }

        problems.AddRange(Cycles().Select(c => $"cycle: {string.Join(" -> ", c)}"));
        for (var i = 0; i < Rows.Count; i++)
        {
            foreach (var used in Rows[i].MayUse.Where(u => HasRow(u) && positions[u] >= i))
            {
                problems.Add($"{Rows[i].Name} may use {used}, which is not above it (each row uses only rows above it: move a row or fix the code)");
            }
        }

        return problems;
    }

    /// <summary>Each cycle of the "may use" graph once, as the rows along it with the first repeated at the end.</summary>
    private List<string[]> Cycles()
    {
        var cycles = new List<string[]>();
        var seen = new HashSet<string>();
        var done = new HashSet<string>();
        var path = new List<string>();

        void Visit(string row)
        {
            seen.Add(row);
            path.Add(row);
            foreach (var next in Rows[positions[row]].MayUse.Where(HasRow))
            {
                if (!seen.Contains(next))
                {
                    Visit(next);
                }
                else if (!done.Contains(next))
                {
                    cycles.Add([.. path[path.IndexOf(next)..], next]);
                }
            }

            path.RemoveAt(path.Count - 1);
            done.Add(row);
        }

        foreach (var row in Rows.Where(r => !seen.Contains(r.Name)))
        {
            Visit(row.Name);
        }

        return cycles;
    }

    private static string[] MayUse(string cell, IReadOnlyList<NamespaceRow> above, int line)
    {
        var text = WithoutRemarks(cell);
        if (text == AllAbove)
        {
            return [.. above.Select(r => r.Name)];
        }

        if (text == Nothing)
        {
            return [];
        }

        var names = new List<string>();
        foreach (var part in text.Split(','))
        {
            names.Add(Name(part) ?? throw new FormatException(
                $"line {line}: '{part.Trim()}' in '{cell}' is not a row name; write row names separated by commas (remarks in parentheses), '{AllAbove}' or '{Nothing}'"));
        }

        return [.. names];
    }

    private static string? Name(string text)
    {
        var name = text.Replace("`", "", StringComparison.Ordinal).Trim();
        return NamePattern().IsMatch(name) ? name : null;
    }

    private static string WithoutRemarks(string cell)
    {
        var text = cell;
        for (var previous = ""; previous != text;)
        {
            previous = text;
            text = RemarkPattern().Replace(text, "");
        }

        return text.Trim();
    }

    private static string[] Cells(string line) =>
        [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())];

    [GeneratedRegex(@"^\w+$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\([^()]*\)")]
    private static partial Regex RemarkPattern();

    [GeneratedRegex(@"^\s*\|(\s*:?-+:?\s*\|)+\s*$")]
    private static partial Regex SeparatorPattern();
}
