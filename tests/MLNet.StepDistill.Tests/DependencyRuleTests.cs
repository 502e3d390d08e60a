using System.Text.RegularExpressions;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests;

/// <summary>
/// The folders are the data flow and the arrows run forward only (docs/architecture.md): each namespace of the library
/// may name only the namespaces its arrow comes from. Read off the source: <c>using</c> directives, qualified names, and
/// the root catalog (<c>.StepDistill()</c>, <c>StepDistillCatalog</c>) that a nested namespace sees without a using;
/// comments and string literals (messages that tell the user what to call) do not count.
/// </summary>
public sealed partial class DependencyRuleTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Pipeline"] = ["T5"],
        ["Tasks"] = ["Pipeline", "T5"],
        ["T5"] = ["Deployment"],
        ["Teaching"] = ["Tasks", "Pipeline"],
        ["Training"] = ["Tasks", "T5", "Pipeline", "Deployment"],
        ["Evaluation"] = ["Tasks", "Training", "Pipeline"],
        ["Recipes"] = ["Tasks", "Teaching", "Training", "T5", "Pipeline", "Deployment", ""],
        ["Deployment"] = ["Tasks", "T5", "Pipeline"],
        ["Onnx"] = ["Tasks", "T5", "Pipeline", "Deployment"],
        ["Serving"] = ["Tasks", "T5", "Pipeline", "Deployment", "Onnx"],
        ["Experiments"] = ["Tasks", "Teaching", "Training", "Evaluation", "Recipes", "T5", "Pipeline", "Deployment", ""],
        [""] = ["Tasks", "Teaching", "Training", "Evaluation", "Recipes", "Experiments", "T5", "Pipeline", "Deployment"],
    };

    [Fact]
    public void Every_library_namespace_names_only_the_namespaces_its_arrow_comes_from()
    {
        var violations = new List<string>();
        var files = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "src"), "MLNet.StepDistill*")
            .Where(d => !d.EndsWith(".Cli", StringComparison.Ordinal))
            .SelectMany(d => Directory.GetFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.True(files.Length > 100, $"found only {files.Length} source files");
        foreach (var file in files)
        {
            var code = StringLiteralPattern().Replace(
                string.Join('\n', File.ReadAllLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal))), "\"\"");
            var own = NamespaceOf(code, file);
            if (!Allowed.TryGetValue(own, out var allowed))
            {
                violations.Add($"{file}: namespace MLNet.StepDistill.{own} has no rule; add it to the table and to docs/architecture.md");
                continue;
            }

            foreach (var used in Referenced(code).Where(u => u != own && !allowed.Contains(u)))
            {
                violations.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: MLNet.StepDistill.{(own.Length == 0 ? "(root)" : own)} uses {(used.Length == 0 ? "the root catalog" : "MLNet.StepDistill." + used)}");
            }
        }

        Assert.True(violations.Count == 0, string.Join('\n', violations));
    }

    [Fact]
    public void The_rule_reader_sees_usings_qualified_names_and_the_root_catalog()
    {
        Assert.Equal(["Teaching"], Referenced("using MLNet.StepDistill.Teaching;\nclass A {}"));
        Assert.Equal(["Evaluation"], Referenced("var x = MLNet.StepDistill.Evaluation.Thing.Do();"));
        Assert.Equal([""], Referenced("var a = ml.StepDistill().Trainers;"));
        Assert.Empty(Referenced("var a = 1;"));
        Assert.Equal("throw new X(\"\");", StringLiteralPattern().Replace("throw new X(\"use ml.StepDistill().LoadModel\");", "\"\""));
    }

    private static string NamespaceOf(string code, string file)
    {
        var match = NamespacePattern().Match(code);
        Assert.True(match.Success, $"{file} has no file-scoped MLNet.StepDistill namespace");
        return match.Groups[1].Value.TrimStart('.').Split('.')[0];
    }

    private static string[] Referenced(string code)
    {
        var names = new HashSet<string>();
        foreach (Match m in ReferencePattern().Matches(code))
        {
            names.Add(m.Groups[1].Value);
        }

        if (RootCatalogPattern().IsMatch(code))
        {
            names.Add("");
        }

        return [.. names.Order()];
    }

    [GeneratedRegex(@"^namespace MLNet\.StepDistill((?:\.\w+)*);", RegexOptions.Multiline)]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"(?<!namespace )MLNet\.StepDistill\.(?!Tests\b|Cli\b)(\w+)")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteralPattern();

    [GeneratedRegex(@"\.StepDistill\(\)|\bStepDistillCatalog\b|\bStepDistillTrainers\b|\bStepDistillTransforms\b")]
    private static partial Regex RootCatalogPattern();
}
