using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MLNet.StepDistill.Notebooks.Tests;

/// <summary>
/// Every C# block of README.md compiles as written, with its own usings and row classes and nothing but a console
/// project's implicit usings, as a program with top-level statements against this build (the pipeline block also runs,
/// in the main test project). Blocks may call services that are not here (an OpenAI endpoint), so
/// they are compiled, not run.
/// </summary>
public partial class ReadmeCodeBlockTests
{
    // What every README example may take for granted: a console project's implicit usings, nothing more. Each block brings
    // its own usings and row classes, so it compiles as written when pasted into a new console app.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static TheoryData<int, string> Blocks()
    {
        var data = new TheoryData<int, string>();
        var blocks = CSharpBlocks();
        for (var i = 0; i < blocks.Count; i++)
        {
            data.Add(i, blocks[i].Split('\n')[0]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Readme_csharp_block_compiles(int index, string firstLine)
    {
        var code = CSharpBlocks()[index];
        var compilation = CSharpCompilation.Create(
            $"ReadmeBlock{index}",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, new CSharpParseOptions(LanguageVersion.Latest)), CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest))],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();

        var numbered = string.Join('\n', code.Split('\n').Select((l, i) => $"{i + 1,3}: {l}"));
        Assert.True(errors.Length == 0, $"README C# block {index} ({firstLine}) does not compile:\n{string.Join('\n', errors.Select(e => e.ToString()))}\n{numbered}");
    }

    /// <summary>The framework's assemblies and every assembly beside this test (the library and its dependencies).</summary>
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var beside = Directory.GetFiles(AppContext.BaseDirectory, "*.dll");
        return framework.Concat(beside)
            .Where(IsManagedAssembly)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => (MetadataReference)MetadataReference.CreateFromFile(g.First()))
            .ToArray();
    });

    private static bool IsManagedAssembly(string path)
    {
        try
        {
            System.Reflection.AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static List<string> CSharpBlocks()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "README.md")))
        {
            dir = dir.Parent;
        }

        var readme = File.ReadAllText(Path.Combine(dir?.FullName ?? throw new FileNotFoundException("README.md not found above the test output"), "README.md")).Replace("\r\n", "\n");
        return CSharpFence().Matches(readme).Select(m => m.Groups["code"].Value).ToList();
    }

    [GeneratedRegex("```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpFence();
}
