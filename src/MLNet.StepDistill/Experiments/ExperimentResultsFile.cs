using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// <c>results.json</c> of an experiment's output folder: its settings and every finished run, rewritten atomically (a
/// temporary file moved over the old one) after each run, so a kill leaves the previous complete file. Opening it checks
/// that the settings match the current ones; the runs it holds are then not trained again.
/// </summary>
public sealed class ExperimentResultsFile
{
    /// <summary>The file name in the output folder.</summary>
    public const string FileName = "results.json";

    private const string Format = "stepdistill-experiment/1";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly ExperimentSettings settings;

    private ExperimentResultsFile(string path, ExperimentSettings settings, IReadOnlyList<ExperimentRunResult> runs)
    {
        Path = path;
        this.settings = settings;
        Runs = runs;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The runs found in the file when it was opened.</summary>
    public IReadOnlyList<ExperimentRunResult> Runs { get; }

    /// <summary>Opens (or prepares) <c>results.json</c> in <paramref name="folder"/>, creating the folder.</summary>
    /// <exception cref="InvalidDataException">The file is malformed, or holds runs made with other settings (the message names them).</exception>
    public static ExperimentResultsFile Open(string folder, ExperimentSettings settings)
    {
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return new ExperimentResultsFile(path, settings, []);
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}); delete it or choose another output folder.", ex);
        }

        if (root?["format"]?.GetValue<string>() != Format)
        {
            throw new InvalidDataException($"{path}: not an experiment results file (format \"{Format}\" expected); choose another output folder.");
        }

        var found = root["settings"].Deserialize<ExperimentSettings>(Json)
            ?? throw new InvalidDataException($"{path}: has no settings; delete it or choose another output folder.");
        var differences = settings.Differences(found);
        if (differences.Count > 0)
        {
            throw new InvalidDataException($"{path} holds runs made with other settings: {string.Join("; ", differences)}. " +
                                           "Run with the same settings to resume, or choose another output folder.");
        }

        var runs = root["runs"].Deserialize<ExperimentRunResult[]>(Json) ?? [];
        return new ExperimentResultsFile(path, settings, runs);
    }

    /// <summary>Writes the settings, <paramref name="runs"/> and, at the end, the outcome's summary, atomically.</summary>
    public void Save(IReadOnlyList<ExperimentRunResult> runs, ExperimentOutcome? outcome = null)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["settings"] = JsonSerializer.SerializeToNode(settings, Json),
            ["runs"] = JsonSerializer.SerializeToNode(runs, Json),
        };
        if (outcome is not null)
        {
            root["baseline"] = JsonSerializer.SerializeToNode(new
            {
                outcome.Baseline.Accuracy,
                Low = outcome.BaselineInterval.Low,
                High = outcome.BaselineInterval.High,
                outcome.Baseline.MacroAccuracy,
                outcome.Baseline.LogLoss,
                outcome.Baseline.TestRows,
            }, Json);
            root["teacher"] = JsonSerializer.SerializeToNode(outcome.Teacher, Json);
            root["cost"] = JsonSerializer.SerializeToNode(new
            {
                outcome.Cost.Rows,
                outcome.Cost.PromptTokens,
                outcome.Cost.CompletionTokens,
                outcome.Cost.TokensPerRow,
                outcome.Cost.PricePerMillionInputTokens,
                outcome.Cost.PricePerMillionOutputTokens,
                outcome.Cost.CostPer1000Rows,
                StudentInferenceRowsPerSecond = outcome.MedianInferenceRowsPerSecond,
            }, Json);
            root["summary"] = JsonSerializer.SerializeToNode(outcome.Summary, Json);
            root["machine"] = JsonSerializer.SerializeToNode(new { outcome.Parallel, outcome.PeakMemoryBytes }, Json);
        }

        WriteAtomically(Path, root.ToJsonString(Json));
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically (for report.md beside results.json).</summary>
    public static void WriteText(string path, string text) => WriteAtomically(path, text);

    /// <summary>Writes <paramref name="text"/> to a temporary file beside <paramref name="path"/> and moves it into place.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
