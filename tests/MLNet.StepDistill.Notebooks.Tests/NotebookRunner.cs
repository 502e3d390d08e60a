using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace MLNet.StepDistill.Notebooks.Tests;

/// <summary>
/// Runs the C# cells of a Polyglot (.ipynb) notebook in order on one C# kernel, as VS Code would.
/// A <c>#r</c> of a DLL in <c>artifacts/notebooks/</c> (where every build of the CLI copies its output) is pointed at the
/// same DLL in this test run's output,
/// so the notebook is checked against the code in the same commit.
/// </summary>
internal static partial class NotebookRunner
{
    public static async Task<IReadOnlyList<string>> RunAsync(string notebookPath, Assembly library)
    {
        var cells = ReadCSharpCells(notebookPath);
        Assert.NotEmpty(cells);
        using var kernel = new CSharpKernel();
        var outputs = new List<string>();
        for (var i = 0; i < cells.Count; i++)
        {
            var code = BuildOutputReference().Replace(cells[i], m => $"#r \"{Resolve(m.Groups["name"].Value, library)}\"");
            var result = await kernel.SendAsync(new SubmitCode(code));
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case CommandFailed failed:
                        throw new InvalidOperationException(
                            $"{Path.GetFileName(notebookPath)}: C# cell {i + 1} failed: {failed.Message}\n--- cell ---\n{cells[i]}", failed.Exception);
                    case StandardOutputValueProduced output:
                        outputs.Add(FormattedText(output));
                        break;
                    case DisplayEvent display:
                        outputs.Add(FormattedText(display));
                        break;
                }
            }
        }

        return outputs;
    }

    private static string FormattedText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == "text/plain")?.Value
        ?? e.FormattedValues.FirstOrDefault()?.Value
        ?? e.Value?.ToString()
        ?? string.Empty;

    private static List<string> ReadCSharpCells(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var defaultKernel = root.TryGetProperty("metadata", out var meta)
            && meta.TryGetProperty("polyglot_notebook", out var poly)
            && poly.TryGetProperty("defaultKernelName", out var name)
            ? name.GetString()
            : "csharp";
        var cells = new List<string>();
        foreach (var cell in root.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code")
            {
                continue;
            }

            var kernelName = cell.TryGetProperty("metadata", out var cellMeta)
                && cellMeta.TryGetProperty("polyglot_notebook", out var cellPoly)
                && cellPoly.TryGetProperty("kernelName", out var cellKernel)
                ? cellKernel.GetString()
                : defaultKernel;
            if (kernelName != "csharp")
            {
                continue;
            }

            var source = cell.GetProperty("source");
            var text = source.ValueKind == JsonValueKind.Array
                ? string.Concat(source.EnumerateArray().Select(s => s.GetString()))
                : source.GetString() ?? string.Empty;
            cells.Add(text);
        }

        return cells;
    }

    /// <summary>The same assembly from this test run's output folder (where the library and its dependencies are).</summary>
    private static string Resolve(string fileName, Assembly library)
    {
        var candidate = Path.Combine(Path.GetDirectoryName(library.Location)!, fileName);
        return File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"the notebook references {fileName}, which this build does not produce", candidate);
    }

    /// <summary>A <c>#r</c> of a DLL in a project's Release build output, as the notebooks write them.</summary>
    [GeneratedRegex("""#r\s+"[^"]*/artifacts/notebooks/(?<name>[^"/]+\.dll)"[ \t]*""")]
    private static partial Regex BuildOutputReference();
}
