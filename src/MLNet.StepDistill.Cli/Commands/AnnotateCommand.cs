using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill annotate`: parses a teacher's completions for a dataset split and reports how they score.</summary>
internal sealed class AnnotateCommand : AsyncCommand<AnnotateCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--dataset <FOLDER>")]
        [Description("Dataset folder holding dataset.json (e.g. datasets/cqa).")]
        public string? Dataset { get; init; }

        [CommandOption("--split <NAME>")]
        [Description("Split to annotate (e.g. train, test, valid).")]
        public string? Split { get; init; }

        [CommandOption("--teacher <KIND>")]
        [Description("Teacher kind; 'recorded' reads the completions shipped with the dataset.")]
        [DefaultValue("recorded")]
        public string Teacher { get; init; } = "recorded";

        [CommandOption("--recorded-name <NAME>")]
        [Description("Which recorded teacher (default: the dataset's only one, or palm-540b).")]
        public string? RecordedName { get; init; }

        [CommandOption("--json")]
        [Description("Print the summary as one JSON object.")]
        public bool Json { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Also write the annotated rows as JSONL (id, input, rationale, teacherLabel, status, gold ...).")]
        public string? Out { get; init; }
    }

    private readonly TextWriter _output;

    public AnnotateCommand()
        : this(Console.Out)
    {
    }

    internal AnnotateCommand(TextWriter output) => _output = output;

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        RunAsync(settings, cancellationToken);

    internal async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Dataset))
        {
            throw new UserFacingException("annotate: --dataset is required (a folder holding dataset.json, e.g. datasets/cqa)");
        }

        if (string.IsNullOrWhiteSpace(settings.Split))
        {
            throw new UserFacingException("annotate: --split is required (e.g. --split test)");
        }

        if (!string.Equals(settings.Teacher, "recorded", StringComparison.OrdinalIgnoreCase))
        {
            throw new UserFacingException($"annotate: --teacher \"{settings.Teacher}\" is not available; use --teacher recorded");
        }

        TaskDataset dataset;
        IReadOnlyList<TaskExample> rows;
        RecordedTeacher teacher;
        try
        {
            dataset = TaskDataset.Open(settings.Dataset);
            rows = dataset.ReadExamples(settings.Split);
            teacher = RecordedTeacher.Open(dataset.Manifest, settings.Split, settings.RecordedName ?? DefaultTeacher(dataset.Manifest));
        }
        catch (Exception ex) when (ex is DatasetFormatException or ArgumentException)
        {
            throw new UserFacingException($"annotate: {ex.Message}");
        }

        var format = TaskFormats.For(dataset.Manifest.Family);
        var annotator = CompletionAnnotator.For(dataset.Manifest);
        IReadOnlyList<AnnotatedExample> annotated;
        try
        {
            annotated = await annotator.AnnotateAsync(rows, teacher, row => new TeacherPrompt(row.Id, null, format.FormatInput(row)), cancellationToken);
        }
        catch (KeyNotFoundException ex)
        {
            throw new UserFacingException($"annotate: {ex.Message}");
        }

        var summary = AnnotationSummary.Compute(annotated);
        if (settings.Out is { } outPath)
        {
            WriteRows(outPath, annotated, format);
        }

        if (settings.Json)
        {
            WriteJson(dataset.Manifest, settings.Split, teacher, summary);
        }
        else
        {
            WriteText(dataset.Manifest, settings.Split, teacher, summary, annotated);
        }

        return 0;
    }

    private static string DefaultTeacher(DatasetManifest manifest) =>
        manifest.Teachers.Count == 1 ? manifest.Teachers.Keys.First() : "palm-540b";

    private void WriteJson(DatasetManifest manifest, string split, ITeacher teacher, AnnotationSummary summary)
    {
        var json = new
        {
            dataset = manifest.Name,
            family = manifest.Family.ToName(),
            split,
            teacher = teacher.CacheIdentity,
            rows = summary.Rows,
            annotated = summary.Annotated,
            parseFailures = summary.ParseFailures,
            noLabelFound = summary.NoLabelFound,
            rowsWithGold = summary.RowsWithGold,
            teacherCorrect = summary.TeacherCorrect,
            teacherAccuracy = summary.TeacherAccuracy,
        };
        _output.WriteLine(JsonSerializer.Serialize(json));
    }

    private void WriteText(DatasetManifest manifest, string split, ITeacher teacher, AnnotationSummary summary, IReadOnlyList<AnnotatedExample> annotated)
    {
        var accuracy = summary.TeacherAccuracy is { } a
            ? $"{a.ToString("0.0000", CultureInfo.InvariantCulture)} ({summary.TeacherCorrect} of {summary.RowsWithGold} rows with gold)"
            : "n/a (no gold targets)";
        _output.WriteLine($"dataset           {manifest.Name} ({manifest.Family.ToName()}), split {split}, teacher {teacher.CacheIdentity}");
        _output.WriteLine($"rows              {summary.Rows}");
        _output.WriteLine($"annotated         {summary.Annotated}");
        _output.WriteLine($"parse failures    {summary.ParseFailures} (no label found {summary.NoLabelFound}, label rejected {summary.ParseFailures - summary.NoLabelFound})");
        _output.WriteLine($"teacher accuracy  {accuracy}");
        foreach (var failed in annotated.Where(r => !r.Parsed.IsOk).Take(5))
        {
            _output.WriteLine($"  failed {failed.Example.Id}: {failed.Parsed.FailureReason}");
        }
    }

    private static void WriteRows(string path, IReadOnlyList<AnnotatedExample> annotated, ITaskFormat format)
    {
        try
        {
            using var writer = new StreamWriter(path);
            foreach (var row in annotated)
            {
                writer.WriteLine(JsonSerializer.Serialize(new
                {
                    id = row.Example.Id,
                    input = format.FormatInput(row.Example),
                    rationale = row.Parsed.Rationale,
                    teacherLabel = row.Parsed.Label,
                    status = row.Parsed.IsOk ? "ok" : "parse-failed",
                    failure = row.Parsed.IsOk ? null : row.Parsed.Failure.ToString(),
                    failureReason = row.Parsed.FailureReason,
                    gold = row.Example.Target,
                    teacherCorrect = row.TeacherCorrect,
                }));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"annotate: --out {path}: {ex.Message}");
        }
    }
}
