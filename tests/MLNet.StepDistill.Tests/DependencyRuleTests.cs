using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNet.StepDistill.Tests.Architecture;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests;

/// <summary>
/// The arrows of docs/architecture.md, held against the compiled assemblies of every project under src/ (the CLI
/// included): the "Namespaces and arrows" table is read from the docs, must be in order and acyclic, and every type one
/// namespace's code uses from another (however the source spelled it: <c>using</c>, alias, partly or fully qualified,
/// inferred) must be allowed by it. Adding a namespace means adding its row to the docs; nothing here changes.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private const string NamespacesHeading = "## Namespaces and arrows";
    private const string AssembliesHeading = "## Assemblies";

    private static readonly Lazy<string> Docs = new(() => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "architecture.md")));

    private static readonly Lazy<IReadOnlyList<(string Project, AssemblyNamespaces Namespaces)>> Compiled = new(() =>
        [.. LibraryProjects().Select(p => (p.Project, NamespaceReferenceReader.Read(p.AssemblyPath, ns => NamespaceTable.RowOf(ns) is not null)))]);

    [Fact]
    public void The_documented_table_is_in_order_and_has_no_cycle()
    {
        var problems = Table().Problems();
        Assert.True(problems.Count == 0, "docs/architecture.md, " + NamespacesHeading + ":\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Every_namespace_in_the_assemblies_has_a_row_and_every_row_a_namespace()
    {
        var namespaces = Compiled.Value.SelectMany(c => c.Namespaces.Defined).ToArray();
        Assert.Contains("MLNet.StepDistill.Cli", namespaces);
        var problems = DependencyRule.Unmatched(Table(), namespaces);
        Assert.True(problems.Count == 0, "docs/architecture.md, " + NamespacesHeading + ":\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Every_namespace_uses_only_the_namespaces_its_row_allows()
    {
        var references = Compiled.Value.SelectMany(c => c.Namespaces.References).ToArray();
        Assert.True(references.Length > 100, $"read only {references.Length} references between namespaces; is the reader broken?");
        var forbidden = DependencyRule.ForbiddenEdges(Table(), references);
        Assert.True(forbidden.Count == 0,
            "uses that docs/architecture.md (" + NamespacesHeading + ") does not allow; change the code, or the table if the arrow is right:\n"
            + string.Join('\n', forbidden));
    }

    [Fact]
    public void Assemblies_documented_without_TorchSharp_reference_none()
    {
        var rows = AssemblyRows();
        var projects = LibraryProjects().ToDictionary(p => p.Project, p => p.AssemblyPath);
        Assert.Equal(projects.Keys.Order(), rows.Keys.Order());
        var withoutTorch = rows.Where(r => r.Value.Contains("no TorchSharp", StringComparison.Ordinal)).Select(r => r.Key).ToArray();
        Assert.Contains("MLNet.StepDistill.Core", withoutTorch);
        foreach (var project in withoutTorch)
        {
            var references = AssemblyName.GetAssemblyName(projects[project]).Name is { } name
                ? Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToArray()
                : [];
            Assert.True(references.Length > 0, $"{project}: no referenced assemblies read");
            Assert.DoesNotContain(references, r => r.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static NamespaceTable Table() => NamespaceTable.Parse(Docs.Value, NamespacesHeading);

    /// <summary>The "depends on" cell of each row of the Assemblies table, by project name.</summary>
    private static Dictionary<string, string> AssemblyRows()
    {
        var section = Docs.Value[Docs.Value.IndexOf(AssembliesHeading, StringComparison.Ordinal)..];
        return AssemblyRowPattern().Matches(section).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    /// <summary>Every project under src/ and its assembly in this test's output folder (the test project references them all).</summary>
    private static IEnumerable<(string Project, string AssemblyPath)> LibraryProjects()
    {
        var projects = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.True(projects.Length >= 5, $"found only {projects.Length} projects under src/");
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            var assembly = XDocument.Load(project).Descendants("AssemblyName").FirstOrDefault()?.Value ?? name;
            var path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
            Assert.True(File.Exists(path), $"{path} is missing: the test project must reference src/{name} for the dependency rule to read it");
            yield return (name, path);
        }
    }

    [GeneratedRegex(@"^\| `([\w.]+)` \|[^|\n]*\|([^|\n]*)\|\s*$", RegexOptions.Multiline)]
    private static partial Regex AssemblyRowPattern();
}
