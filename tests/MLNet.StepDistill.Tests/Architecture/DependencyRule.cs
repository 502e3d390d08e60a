namespace MLNet.StepDistill.Tests.Architecture;

/// <summary>Holds the compiled references against the namespace table: what the table does not allow, and rows and namespaces that do not match.</summary>
public static class DependencyRule
{
    private const int ExamplesPerEdge = 3;

    /// <summary>
    /// Each pair of rows the code uses that the table does not allow, once, as <c>A -> B (via A.Type.Member uses
    /// B.Type; ...)</c> with up to three places, so a developer sees what to fix.
    /// </summary>
    public static IReadOnlyList<string> ForbiddenEdges(NamespaceTable table, IEnumerable<NamespaceReference> references) =>
        [.. references
            .Select(r => (From: NamespaceTable.RowOf(r.From), To: NamespaceTable.RowOf(r.To), r.Via))
            .Where(r => r.From is not null && r.To is not null && table.HasRow(r.From) && !table.Allows(r.From, r.To))
            .GroupBy(r => $"{r.From} -> {r.To}")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var vias = g.Select(r => r.Via).Distinct().Order(StringComparer.Ordinal).ToArray();
                var more = vias.Length > ExamplesPerEdge ? $"; and {vias.Length - ExamplesPerEdge} more" : "";
                return $"{g.Key} (via {string.Join("; ", vias.Take(ExamplesPerEdge))}{more})";
            })];

    /// <summary>Namespaces in the code with no row, and rows with no namespace in the code.</summary>
    public static IReadOnlyList<string> Unmatched(NamespaceTable table, IEnumerable<string> namespaces)
    {
        var problems = new List<string>();
        foreach (var ns in namespaces.Distinct().Order(StringComparer.Ordinal))
        {
            var row = NamespaceTable.RowOf(ns) ?? throw new ArgumentException($"{ns} is not under {NamespaceTable.LibraryNamespace}", nameof(namespaces));
            if (!table.HasRow(row))
            {
                problems.Add($"namespace {ns} has no row {row} in the table; add one (in order: below every row it uses)");
            }
        }

        var inCode = namespaces.Select(NamespaceTable.RowOf).ToHashSet();
        problems.AddRange(table.Rows.Where(r => !inCode.Contains(r.Name))
            .Select(r => $"the row {r.Name} names no namespace in the code ({(r.Name == NamespaceTable.RootRow ? NamespaceTable.LibraryNamespace : $"{NamespaceTable.LibraryNamespace}.{r.Name}")}); remove it or fix its name"));
        return problems;
    }
}
