using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill annotate`: a teacher (recorded completions, or an OpenAI-compatible chat server through the persistent cache)
/// annotates a dataset split; prints the report and optionally writes the annotated rows.
/// </summary>
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
        [Description("Teacher kind: 'recorded' reads the completions shipped with the dataset; 'openai' asks an OpenAI-compatible chat server (--endpoint, --model, --api-key-env).")]
        [DefaultValue("recorded")]
        public string Teacher { get; init; } = "recorded";

        [CommandOption("--recorded-name <NAME>")]
        [Description("Which recorded teacher (default: the dataset's only one, or palm-540b).")]
        public string? RecordedName { get; init; }

        [CommandOption("--endpoint <URL>")]
        [Description("openai: the API base, e.g. https://api.openai.com/v1 or http://localhost:8000/v1.")]
        public string? Endpoint { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("openai: the model id the server knows.")]
        public string? Model { get; init; }

        [CommandOption("--api-key-env <VAR>")]
        [Description("openai: the environment variable holding the API key (the key itself is never printed).")]
        [DefaultValue("OPENAI_API_KEY")]
        public string ApiKeyEnv { get; init; } = "OPENAI_API_KEY";

        [CommandOption("--cache <DIR>")]
        [Description("openai: the teacher-call cache folder; a re-run answers from it and asks only for what is missing (default: the library's per-user cache).")]
        public string? Cache { get; init; }

        [CommandOption("--concurrency <N>")]
        [Description("Rows (and requests) in flight at once.")]
        [DefaultValue(8)]
        public int Concurrency { get; init; } = 8;

        [CommandOption("--samples <K>")]
        [Description("Completions per row; above 1 the majority label wins (self-consistency).")]
        [DefaultValue(1)]
        public int Samples { get; init; } = 1;

        [CommandOption("--filter-by-gold")]
        [Description("Mark rows whose teacher label disagrees with the gold label 'filtered'.")]
        public bool FilterByGold { get; init; }

        [CommandOption("--json")]
        [Description("Print the summary as one JSON object.")]
        public bool Json { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Also write the annotated rows as JSONL (id, input, rationale, teacherLabel, status, gold, choices ...); `train --annotated FILE` trains on it.")]
        public string? Out { get; init; }
    }

    private readonly TextWriter _output;
    private readonly Func<string, string?> _environment;

    public AnnotateCommand()
        : this(Console.Out, Environment.GetEnvironmentVariable)
    {
    }

    internal AnnotateCommand(TextWriter output, Func<string, string?>? environment = null)
    {
        _output = output;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

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

        if (settings.Concurrency < 1)
        {
            throw new UserFacingException($"annotate: --concurrency must be at least 1, got {settings.Concurrency}");
        }

        if (settings.Samples < 1)
        {
            throw new UserFacingException($"annotate: --samples must be at least 1, got {settings.Samples}");
        }

        var mlContext = new MLContext(seed: 0);
        TaskDataset dataset;
        IReadOnlyList<TaskExample> rows;
        try
        {
            dataset = TaskDataset.Open(settings.Dataset);
            rows = dataset.ReadExamples(settings.Split);
        }
        catch (Exception ex) when (ex is DatasetFormatException or KeyNotFoundException)
        {
            throw new UserFacingException($"annotate: {ex.Message}");
        }

        using var teacher = OpenTeacher(settings, dataset.Manifest);
        var options = RationaleAnnotatorOptions.ForDataset(dataset.Manifest);
        options.CacheFolder = settings.Cache;
        options.MaxConcurrency = settings.Concurrency;
        options.Samples = settings.Samples;
        options.FilterByGoldLabel = settings.FilterByGold;
        var data = TaskDataset.ToDataView(rows, dataset.Schema);
        var result = await AnnotateAsync(mlContext, teacher.Teacher, options, data, showProgress: !settings.Json && ReferenceEquals(_output, Console.Out), cancellationToken);

        if (settings.Out is { } outPath)
        {
            WriteRows(outPath, rows, result.Rows, TaskFormats.For(dataset.Manifest.Family));
        }

        if (settings.Json)
        {
            WriteJson(dataset.Manifest, settings.Split, result.Report);
        }
        else
        {
            WriteText(dataset.Manifest, settings.Split, result.Report, result.Rows);
        }

        return 0;
    }

    private OpenedTeacher OpenTeacher(Settings settings, DatasetManifest manifest)
    {
        if (string.Equals(settings.Teacher, "recorded", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new OpenedTeacher(RecordedTeacher.Open(manifest, settings.Split!, settings.RecordedName ?? DefaultTeacher(manifest)), null);
            }
            catch (Exception ex) when (ex is DatasetFormatException or KeyNotFoundException)
            {
                throw new UserFacingException($"annotate: {ex.Message}");
            }
        }

        if (!string.Equals(settings.Teacher, "openai", StringComparison.OrdinalIgnoreCase))
        {
            throw new UserFacingException($"annotate: --teacher \"{settings.Teacher}\" is not available; use --teacher recorded or --teacher openai");
        }

        if (string.IsNullOrWhiteSpace(settings.Endpoint) || !Uri.TryCreate(settings.Endpoint, UriKind.Absolute, out var endpoint)
            || endpoint.Scheme is not ("http" or "https"))
        {
            throw new UserFacingException("annotate: --teacher openai needs --endpoint with an absolute http(s) URL, e.g. --endpoint https://api.openai.com/v1");
        }

        if (string.IsNullOrWhiteSpace(settings.Model))
        {
            throw new UserFacingException("annotate: --teacher openai needs --model (the model id the server knows)");
        }

        var key = _environment(settings.ApiKeyEnv);
        if (string.IsNullOrEmpty(key))
        {
            throw new UserFacingException($"annotate: the environment variable {settings.ApiKeyEnv} (--api-key-env) is not set; put the API key there (a local server that ignores keys still needs a value, e.g. none)");
        }

        var chat = OpenAiCompatibleTeacher.Create(endpoint, settings.Model, key, new TeacherCallOptions { MaxConcurrency = settings.Concurrency });
        return new OpenedTeacher(chat, chat);
    }

    private static async Task<AnnotationResult> AnnotateAsync(
        MLContext mlContext, ITeacher teacher, RationaleAnnotatorOptions options, IDataView data, bool showProgress, CancellationToken cancellationToken)
    {
        if (!showProgress)
        {
            var transformer = await mlContext.StepDistill().AnnotateRationales(teacher, options).FitAsync(data, cancellationToken);
            return await transformer.AnnotateAsync(data, cancellationToken);
        }

        AnnotationResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"annotating with {teacher.CacheIdentity}", maxValue: data.GetRowCount() ?? 1);
                options.Progress = new Reporter(p =>
                {
                    task.Value = p.Done;
                    task.Description = $"{p.Done}/{p.Total} rows, {p.Ok} ok, {p.Failed} failed, {p.Calls} calls, {p.CacheHits} cached";
                });
                var transformer = await mlContext.StepDistill().AnnotateRationales(teacher, options).FitAsync(data, cancellationToken);
                result = await transformer.AnnotateAsync(data, cancellationToken);
            });
        return result!;
    }

    private static string DefaultTeacher(DatasetManifest manifest) =>
        manifest.Teachers.Count == 1 ? manifest.Teachers.Keys.First() : "palm-540b";

    private void WriteJson(DatasetManifest manifest, string split, AnnotationReport report)
    {
        var json = new
        {
            dataset = manifest.Name,
            family = manifest.Family.ToName(),
            split,
            teacher = report.Teacher,
            rows = report.Rows,
            annotated = report.Ok,
            parseFailures = report.ParseFailed,
            noLabelFound = report.NoLabelFound,
            callFailures = report.CallFailed,
            filtered = report.Filtered,
            statusCounts = report.StatusCounts,
            calls = report.Calls,
            cacheHits = report.CacheHits,
            failedCalls = report.CallFailures,
            promptTokens = report.PromptTokens,
            completionTokens = report.CompletionTokens,
            rowsWithGold = report.RowsWithGold,
            teacherCorrect = report.TeacherCorrect,
            teacherAccuracy = report.TeacherAccuracy,
            seconds = Math.Round(report.Elapsed.TotalSeconds, 3),
        };
        _output.WriteLine(JsonSerializer.Serialize(json));
    }

    private void WriteText(DatasetManifest manifest, string split, AnnotationReport report, IReadOnlyList<RowAnnotation> rows)
    {
        var accuracy = report.TeacherAccuracy is { } a
            ? $"{a.ToString("0.0000", CultureInfo.InvariantCulture)} ({report.TeacherCorrect} of {report.RowsWithGold} rows with gold)"
            : "n/a (no gold targets)";
        _output.WriteLine($"dataset           {manifest.Name} ({manifest.Family.ToName()}), split {split}, teacher {report.Teacher}");
        _output.WriteLine($"rows              {report.Rows}");
        _output.WriteLine($"annotated         {report.Ok}");
        _output.WriteLine($"parse failures    {report.ParseFailed} (no label found {report.NoLabelFound}, label rejected {report.ParseFailed - report.NoLabelFound})");
        _output.WriteLine($"call failures     {report.CallFailed}");
        _output.WriteLine($"filtered          {report.Filtered}");
        _output.WriteLine($"teacher calls     {report.Calls} ({report.CacheHits} cache hits, {report.CallFailures} failed, tokens {report.PromptTokens} prompt / {report.CompletionTokens} completion)");
        _output.WriteLine($"teacher accuracy  {accuracy}");
        _output.WriteLine($"time              {report.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        foreach (var failed in rows.Where(r => r.Status is AnnotationStatus.ParseFailed or AnnotationStatus.CallFailed).Take(5))
        {
            _output.WriteLine($"  {failed.Status} {failed.Id}: {failed.Reason}");
        }
    }

    private static void WriteRows(string path, IReadOnlyList<TaskExample> examples, IReadOnlyList<RowAnnotation> annotated, ITaskFormat format)
    {
        // Written beside the target and moved into place when complete: an interrupted run leaves the old file intact.
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var writer = new StreamWriter(temp))
            {
                WriteRowsTo(writer, examples, annotated, format);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"annotate: --out {path}: {ex.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void WriteRowsTo(StreamWriter writer, IReadOnlyList<TaskExample> examples, IReadOnlyList<RowAnnotation> annotated, ITaskFormat format)
    {
        for (var i = 0; i < examples.Count; i++)
        {
            var row = annotated[i];
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                id = row.Id,
                input = format.FormatInput(examples[i]),
                rationale = row.Rationale,
                teacherLabel = row.Status is AnnotationStatus.Ok or AnnotationStatus.Filtered ? row.TeacherLabel : null,
                status = row.Status,
                failureReason = row.Reason,
                gold = examples[i].Target,
                choices = examples[i].Choices,
                teacherCorrect = row.TeacherCorrect,
                votes = row.Votes,
                samples = row.Samples,
            }));
        }
    }

    /// <summary>The teacher, and what to dispose when the command ends.</summary>
    private sealed record OpenedTeacher(ITeacher Teacher, IDisposable? Owned) : IDisposable
    {
        public void Dispose() => Owned?.Dispose();
    }

    /// <summary>A synchronous <see cref="IProgress{T}"/> (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class Reporter(Action<AnnotationProgress> report) : IProgress<AnnotationProgress>
    {
        private readonly Lock _lock = new();

        public void Report(AnnotationProgress value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
