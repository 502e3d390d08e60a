using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace MLNet.StepDistill.Notebooks.Tests;

/// <summary>
/// Runs the C# cells of a Polyglot (.ipynb) notebook in order on one C# kernel, as VS Code would.
/// A <c>#r</c> of a DLL in <c>artifacts/notebooks/</c> (where every build of the CLI copies its output) is pointed at the
/// same DLL in this test run's output, so the notebook is checked against the code in the same commit. With
/// <c>STEPDISTILL_NOTEBOOK_OUTPUTS=1</c> the outputs of the run are written into the notebook's cells
/// (eng/run-notebooks.sh), so readers on GitHub see a real run.
/// </summary>
internal static partial class NotebookRunner
{
    public static async Task<IReadOnlyList<string>> RunAsync(string notebookPath, Assembly library)
    {
        var cells = ReadCSharpCells(notebookPath);
        Assert.NotEmpty(cells);
        using var kernel = new CSharpKernel().UseKernelHelpers();   // display(...), HTML(...) as in Polyglot
        var outputs = new List<string>();
        var cellOutputs = new List<JsonArray>();
        for (var i = 0; i < cells.Count; i++)
        {
            var code = BuildOutputReference().Replace(cells[i], m => $"#r \"{Resolve(m.Groups["name"].Value, library)}\"");
            var result = await kernel.SendAsync(new SubmitCode(code));
            var produced = new JsonArray();
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case CommandFailed failed:
                        throw new InvalidOperationException(
                            $"{Path.GetFileName(notebookPath)}: C# cell {i + 1} failed: {failed.Message}\n--- cell ---\n{cells[i]}", failed.Exception);
                    case StandardOutputValueProduced output:
                        outputs.Add(FormattedText(output));
                        produced.Add(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = Lines(FormattedText(output)) });
                        break;
                    case DisplayEvent display:
                        outputs.Add(FormattedText(display));
                        var data = new JsonObject();
                        foreach (var value in display.FormattedValues)
                        {
                            data[value.MimeType] = Lines(value.Value);
                        }

                        produced.Add(new JsonObject { ["output_type"] = "display_data", ["data"] = data, ["metadata"] = new JsonObject() });
                        break;
                }
            }

            cellOutputs.Add(produced);
        }

        if (Environment.GetEnvironmentVariable("STEPDISTILL_NOTEBOOK_OUTPUTS") == "1")
        {
            WriteOutputs(notebookPath, cellOutputs);
        }

        return outputs;
    }

    /// <summary>Puts each C# cell's outputs (in run order) into the notebook file, numbering the cells as a run does.</summary>
    private static void WriteOutputs(string notebookPath, IReadOnlyList<JsonArray> cellOutputs)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(notebookPath))!;
        var index = 0;
        foreach (var cell in notebook["cells"]!.AsArray())
        {
            if (cell!["cell_type"]!.GetValue<string>() != "code")
            {
                continue;
            }

            cell["outputs"] = cellOutputs[index];
            cell["execution_count"] = ++index;
        }

        var text = notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        File.WriteAllText(notebookPath, text + "\n");
    }

    private static JsonArray Lines(string text)
    {
        var lines = new JsonArray();
        var parts = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < parts.Length; i++)
        {
            var line = i < parts.Length - 1 ? parts[i] + "\n" : parts[i];
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
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
