using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
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
    internal sealed class Settings : LabelledDatasetSettings
    {
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

        [CommandOption("--out <FILE>")]
        [Description("Also write the annotated rows as JSONL (v, id, input, rationale, teacherLabel, status, rationales, gold, choices, tokens, cost ...); `train`, `experiment` and `sweep --annotated FILE` train on it.")]
        public string? Out { get; init; }

        [CommandOption("--teacher-id <NAME>")]
        [Description("openai: your name for the endpoint in cache keys (the same model behind several URLs); default: the endpoint URL, without the port on localhost.")]
        public string? TeacherId { get; init; }

        [CommandOption("--retries <N>")]
        [Description("openai: retries per request after 429, 5xx, timeouts and broken connections (a rejected key, a 404 or a closed port on the first calls stop the run at once).")]
        [DefaultValue(6)]
        public int Retries { get; init; } = 6;

        [CommandOption("--timeout <SECONDS>")]
        [Description("openai: how long one request may take before it is abandoned and retried.")]
        [DefaultValue(120.0)]
        public double Timeout { get; init; } = 120;

        [CommandOption("--max-failed-fraction <F>")]
        [Description("Exit non-zero when more than this fraction of rows end without a usable label (parse-failed or call-failed), and always when no row did; one failing completion is printed with the reason.")]
        [DefaultValue(0.5)]
        public double MaxFailedFraction { get; init; } = 0.5;

        [CommandOption("--exemplars <FILE>")]
        [Description("Few-shot exemplars for the teacher's prompt: a JSON file of \"exemplars\", each with its input fields (or \"text\"), \"rationale\" and \"label\"; overrides dataset.json's \"exemplars\" and the family's defaults.")]
        public string? Exemplars { get; init; }

        [CommandOption("--prompt <FILE>")]
        [Description("Your own prompt template: a JSON file with \"question\", \"answer\" and optionally \"system\", \"header\", \"separator\" (see the README, \"Your own task\").")]
        public string? Prompt { get; init; }

        [CommandOption("--system <TEXT>")]
        [Description("The system message sent with every prompt (replaces the template's).")]
        public string? System { get; init; }

        [CommandOption("--bootstrap-exemplars <K>")]
        [Description("Let the teacher write the exemplars: K gold-labelled rows (spread over the labels) are sent with their gold label first, and the explanations that parse back to it become the few-shot exemplars of every later prompt.")]
        [DefaultValue(0)]
        public int BootstrapExemplars { get; init; }

        [CommandOption("--save-exemplars <FILE>")]
        [Description("Write the exemplars the run's prompts used (e.g. the bootstrapped ones) to FILE, for review and reuse with --exemplars.")]
        public string? SaveExemplars { get; init; }

        [CommandOption("--rationales <MODE>")]
        [Description("teacher-label (the teacher predicts a label and explains it, the paper's way) or explain-gold (the teacher explains each row's gold label).")]
        [DefaultValue("teacher-label")]
        public string Rationales { get; init; } = "teacher-label";

        [CommandOption("--response-format <FORMAT>")]
        [Description("text (default), or json: the request carries a JSON schema (rationale, label as an enum of the labels or choices) and the completion is read as JSON.")]
        [DefaultValue("text")]
        public string ResponseFormat { get; init; } = "text";

        [CommandOption("--price-in <PRICE>")]
        [Description("Price of a million prompt tokens (e.g. US dollars); with --price-out, reports cost.")]
        public double? PriceIn { get; init; }

        [CommandOption("--price-out <PRICE>")]
        [Description("Price of a million completion tokens.")]
        public double? PriceOut { get; init; }

        [CommandOption("--batch-discount <F>")]
        [Description("The fraction taken off both prices for requests answered through a provider batch.")]
        [DefaultValue(0.5)]
        public double BatchDiscount { get; init; } = 0.5;

        [CommandOption("--max-cost <AMOUNT>")]
        [Description("Stop before the run could spend more than this (needs --price-in/--price-out); run again with a higher budget to continue.")]
        public double? MaxCost { get; init; }

        [CommandOption("--show-prompt")]
        [Description("Print the messages the teacher receives for the split's first row (system, user, JSON schema) and send nothing.")]
        public bool ShowPrompt { get; init; }

        [CommandOption("--dry-run")]
        [Description("Count the requests the cache lacks, their prompt tokens and the estimated cost, without calling the teacher.")]
        public bool DryRun { get; init; }

        [CommandOption("--completion-tokens <N>")]
        [Description("--dry-run: the completion length to assume per request (default: the mean length of the prompt's exemplar answers).")]
        public int? CompletionTokens { get; init; }

        [CommandOption("--batch")]
        [Description("openai: ask through the provider's Files + Batches API (OpenAI, Azure OpenAI; about half price, answers within 24 h). A killed run resumes the same batch.")]
        public bool Batch { get; init; }

        [CommandOption("--batch-max-requests <N>")]
        [Description("--batch: the most requests per batch; larger jobs are split.")]
        [DefaultValue(50000)]
        public int BatchMaxRequests { get; init; } = 50_000;

        [CommandOption("--batch-max-bytes <N>")]
        [Description("--batch: the largest batch input file in bytes; larger jobs are split.")]
        [DefaultValue(209715200L)]
        public long BatchMaxBytes { get; init; } = 200L * 1024 * 1024;

        [CommandOption("--batch-poll <SECONDS>")]
        [Description("--batch: the first wait between status polls (later waits double, up to 2 minutes).")]
        [DefaultValue(5.0)]
        public double BatchPoll { get; init; } = 5;

        [CommandOption("--batch-retry <MODE>")]
        [Description("--batch: requests that failed inside a batch are asked again 'live' (one request each) or in follow-up batches ('batch').")]
        [DefaultValue("live")]
        public string BatchRetry { get; init; } = "live";
    }

    private readonly TextWriter output;
    private readonly TextWriter error;
    private readonly Func<string, string?> environment;

    public AnnotateCommand()
        : this(Console.Out, Environment.GetEnvironmentVariable, Console.Error)
    {
    }

    internal AnnotateCommand(TextWriter output, Func<string, string?>? environment = null, TextWriter? error = null)
    {
        this.output = output;
        this.error = error ?? (ReferenceEquals(output, Console.Out) ? Console.Error : output);
        this.environment = environment ?? Environment.GetEnvironmentVariable;
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

        ValidateScaleOptions(settings);

        var mlContext = new MLContext(seed: 0);
        TaskDataset dataset;
        IReadOnlyList<TaskExample> rows;
        try
        {
            dataset = TaskDataset.Open(settings.Dataset, new TaskReadOptions { DropUnknownLabels = settings.DropUnknownLabels });
            var read = dataset.ReadExamples(settings.Split);
            CliDataset.TellDropped("annotate", dataset, settings.Split, read, error);
            rows = read;
        }
        catch (Exception ex) when (ex is DatasetFormatException or KeyNotFoundException)
        {
            throw new UserFacingException($"annotate: {ex.Message}");
        }

        using var teacher = OpenTeacher(settings, dataset.Manifest);
        var options = RationaleAnnotatorOptions.ForDataset(dataset.Manifest);
        options.Prompt = PromptFor(settings, dataset.Manifest, options.Prompt!);
        options.BootstrapExemplars = settings.BootstrapExemplars;
        options.Rationales = RationaleModeNames.TryParse(settings.Rationales, out var mode)
            ? mode
            : throw new UserFacingException($"annotate: --rationales \"{settings.Rationales}\" is not one of teacher-label, explain-gold");
        options.ResponseFormat = settings.ResponseFormat.ToLowerInvariant() switch
        {
            "text" => TeacherResponseFormat.Text,
            "json" => TeacherResponseFormat.Json,
            _ => throw new UserFacingException($"annotate: --response-format \"{settings.ResponseFormat}\" is not one of text, json"),
        };
        if (options.ResponseFormat == TeacherResponseFormat.Json && teacher.Owned is null)
        {
            throw new UserFacingException("annotate: --response-format json needs a live teacher (--teacher openai); recorded completions are text");
        }
        options.CacheFolder = settings.Cache;
        options.MaxConcurrency = settings.Concurrency;
        options.Samples = settings.Samples;
        options.FilterByGoldLabel = settings.FilterByGold;
        options.OnWarning = message => error.WriteLine($"warning: {message}");
        options.CompletionTokensEstimate = settings.CompletionTokens;
        if (settings.PriceIn is not null || settings.PriceOut is not null)
        {
            options.Prices = new TeacherPrices { InputPerMillion = settings.PriceIn ?? 0, OutputPerMillion = settings.PriceOut ?? 0, BatchDiscount = settings.BatchDiscount };
        }
        options.MaxCost = settings.MaxCost;
        if (settings.Batch)
        {
            options.Batch = new TeacherBatchOptions
            {
                MaxRequestsPerBatch = settings.BatchMaxRequests,
                MaxFileBytes = settings.BatchMaxBytes,
                PollInterval = TimeSpan.FromSeconds(settings.BatchPoll),
                MaxPollInterval = TimeSpan.FromSeconds(Math.Max(settings.BatchPoll, 120)),
                RetryFailed = settings.BatchRetry == "batch" ? BatchRetryMode.FollowUpBatch : BatchRetryMode.Live,
            };
        }
        var data = TaskDataset.ToDataView(rows, dataset.Schema);
        var annotator = mlContext.StepDistill().AnnotateRationales(teacher.Teacher, options);

        if (settings.ShowPrompt)
        {
            if (rows.Count == 0)
            {
                throw new UserFacingException($"annotate: --show-prompt: split {settings.Split} has no rows");
            }

            var preview = annotator.PreviewPrompt(rows[0]);
            output.WriteLine($"--- system ---\n{preview.System ?? "(none)"}\n--- user ---\n{preview.User}");
            if (preview.ResponseSchema is { } responseSchema)
            {
                output.WriteLine($"--- JSON schema of the completion ---\n{responseSchema}");
            }

            return 0;
        }

        if (settings.DryRun)
        {
            WriteEstimate(dataset.Manifest, settings, annotator.Estimate(data));
            return 0;
        }

        AnnotationResult result;
        try
        {
            result = await AnnotateAsync(annotator, teacher.Teacher, options, data, showProgress: !settings.Json && ReferenceEquals(output, Console.Out), cancellationToken);
        }
        catch (TeacherUnavailableException ex)
        {
            throw new UserFacingException($"annotate: {ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException && ex.Message.StartsWith("RationaleAnnotatorOptions.", StringComparison.Ordinal))
        {
            throw new UserFacingException($"annotate: {ex.Message.Replace("RationaleAnnotatorOptions.BootstrapExemplars", "--bootstrap-exemplars", StringComparison.Ordinal).Replace("RationaleAnnotatorOptions.Rationales = ExplainGold", "--rationales explain-gold", StringComparison.Ordinal)}");
        }

        if (settings.SaveExemplars is { } exemplarsPath)
        {
            ExemplarFile.Write(exemplarsPath, result.Exemplars, dataset.Schema);
            error.WriteLine($"annotate: wrote {result.Exemplars.Count} exemplars to {exemplarsPath}");
        }

        if (settings.Out is { } outPath)
        {
            WriteRows(outPath, rows, result.Rows, dataset.Manifest.Family.CreateFormat());
        }

        if (settings.Json)
        {
            WriteJson(dataset.Manifest, settings.Split, result.Report);
        }
        else
        {
            WriteText(dataset.Manifest, settings.Split, result.Report, result.Rows);
        }

        return Verdict(result.Report, result.Rows, settings);
    }

    /// <summary>
    /// The teacher's prompt from the options: the dataset's (family layout, description, exemplars), with
    /// <c>--prompt</c>'s template, <c>--exemplars</c>' exemplars and <c>--system</c>'s message in place where given.
    /// </summary>
    private static RationalePrompt PromptFor(Settings settings, DatasetManifest manifest, RationalePrompt prompt)
    {
        try
        {
            if (settings.Prompt is { } templateFile)
            {
                prompt = prompt with { Template = PromptTemplate.Load(templateFile).DescribeTask(manifest.Schema, manifest.Completion, manifest.Description, manifest.LabelDescriptions) };
            }

            if (settings.Exemplars is { } exemplarFile)
            {
                prompt = prompt with { Exemplars = ExemplarFile.Read(exemplarFile, manifest.Schema) };
            }
        }
        catch (DatasetFormatException ex)
        {
            throw new UserFacingException($"annotate: {(settings.Exemplars is not null && ex.FilePath == settings.Exemplars ? "--exemplars" : "--prompt")}: {ex.Message}");
        }

        if (settings.System is { } system)
        {
            prompt = prompt with { Template = prompt.Template with { System = string.IsNullOrWhiteSpace(system) ? null : system } };
        }

        return prompt;
    }

    /// <summary>
    /// 0 when the run did its job; 1 (with the reason on stderr) when no row has a usable label, or more than
    /// <c>--max-failed-fraction</c> of the rows ended without one (parse-failed or call-failed). A failing completion
    /// is printed, shortened, with the parser's reason, so a prompt or parser mismatch shows at once.
    /// </summary>
    private int Verdict(AnnotationReport report, IReadOnlyList<RowAnnotation> rows, Settings settings)
    {
        if (report.BudgetReached)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"annotate: the budget (--max-cost {settings.MaxCost}) was reached; {report.CallFailed} rows were not annotated. Run again with a higher --max-cost to continue (the cache keeps what was paid for)."));
            return 1;
        }
        if (report.Rows > 0 && report.CallFailed == report.Rows)
        {
            error.WriteLine($"annotate: every row ended call-failed; the first reason: {FirstFailure(report)}");
            return 1;
        }
        var failed = report.CallFailed + report.ParseFailed;
        var fraction = report.Rows == 0 ? 0 : (double)failed / report.Rows;
        var noneUsable = report.Rows > 0 && report.Ok + report.LabelOnly + report.Filtered == 0;
        if (fraction > settings.MaxFailedFraction || noneUsable)
        {
            var why = noneUsable ? "no row gave a usable label" : string.Create(CultureInfo.InvariantCulture, $"more than --max-failed-fraction {settings.MaxFailedFraction}");
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"annotate: {failed} of {report.Rows} rows ended without a usable label ({report.ParseFailed} parse-failed, {report.CallFailed} call-failed; {fraction:0.###}, {why})."));
            if (rows.FirstOrDefault(r => r.Status == AnnotationStatus.ParseFailed) is { } example)
            {
                error.WriteLine($"annotate: row {example.Id} did not parse: {example.Reason}");
                error.WriteLine($"annotate: its completion: {RowAnnotation.Shorten(example.UnparsedCompletion ?? "")}");
                error.WriteLine("annotate: if the teacher answers in another layout, give it a prompt that shows the layout (--prompt, --exemplars, --bootstrap-exemplars) or ask for JSON (--response-format json).");
            }
            else
            {
                error.WriteLine($"annotate: the first call failure: {FirstFailure(report)}; run again to finish the call-failed rows (the cache keeps the rest).");
            }
            return 1;
        }
        return 0;
    }

    private string? firstFailure;

    private string FirstFailure(AnnotationReport report) => firstFailure ?? $"see the {report.CallFailed} call-failed rows";

    private static void ValidateScaleOptions(Settings settings)
    {
        if (settings.Retries < 0)
        {
            throw new UserFacingException($"annotate: --retries must be 0 or more, got {settings.Retries}");
        }
        if (!double.IsFinite(settings.Timeout) || settings.Timeout < 0.01 || settings.Timeout > 86_400)
        {
            throw new UserFacingException(FormattableString.Invariant($"annotate: --timeout must be between 0.01 and 86400 seconds, got {settings.Timeout}"));
        }
        if (!double.IsFinite(settings.MaxFailedFraction) || settings.MaxFailedFraction is < 0 or > 1)
        {
            throw new UserFacingException(FormattableString.Invariant($"annotate: --max-failed-fraction must be between 0 and 1, got {settings.MaxFailedFraction}"));
        }
        foreach (var (name, value) in new[] { ("--price-in", settings.PriceIn), ("--price-out", settings.PriceOut), ("--max-cost", settings.MaxCost) })
        {
            if (value is { } v && (!double.IsFinite(v) || v < 0))
            {
                throw new UserFacingException(FormattableString.Invariant($"annotate: {name} must be 0 or more, got {v}"));
            }
        }
        if (!double.IsFinite(settings.BatchDiscount) || settings.BatchDiscount is < 0 or > 1)
        {
            throw new UserFacingException(FormattableString.Invariant($"annotate: --batch-discount must be between 0 and 1, got {settings.BatchDiscount}"));
        }
        if (settings.MaxCost is not null && settings.PriceIn is null && settings.PriceOut is null)
        {
            throw new UserFacingException("annotate: --max-cost needs --price-in and --price-out (what a million prompt and completion tokens cost)");
        }
        if (settings.CompletionTokens is < 0)
        {
            throw new UserFacingException($"annotate: --completion-tokens must be 0 or more, got {settings.CompletionTokens}");
        }
        if (settings.BootstrapExemplars < 0)
        {
            throw new UserFacingException($"annotate: --bootstrap-exemplars must be 0 or more, got {settings.BootstrapExemplars}");
        }
        if (settings.Batch && !string.Equals(settings.Teacher, "openai", StringComparison.OrdinalIgnoreCase))
        {
            throw new UserFacingException("annotate: --batch needs --teacher openai (a provider with the Files and Batches endpoints)");
        }
        if (settings.BatchRetry is not ("live" or "batch"))
        {
            throw new UserFacingException($"annotate: --batch-retry must be live or batch, got \"{settings.BatchRetry}\"");
        }
        if (settings.BatchMaxRequests < 1 || settings.BatchMaxBytes < 1024 || !double.IsFinite(settings.BatchPoll) || settings.BatchPoll <= 0)
        {
            throw new UserFacingException("annotate: --batch-max-requests must be at least 1, --batch-max-bytes at least 1024 and --batch-poll positive");
        }
    }

    private void WriteEstimate(DatasetManifest manifest, Settings settings, AnnotationEstimate estimate)
    {
        if (settings.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                dataset = manifest.Name,
                split = settings.Split,
                teacher = estimate.Teacher,
                dryRun = true,
                rows = estimate.Rows,
                requests = estimate.Requests,
                cachedSamples = estimate.CachedSamples,
                promptTokens = estimate.PromptTokens,
                completionTokensPerRequest = estimate.CompletionTokensPerRequest,
                completionTokens = estimate.CompletionTokens,
                estimatedCost = estimate.Cost,
                estimatedBatchCost = estimate.BatchCost,
            }));
            return;
        }
        var cost = estimate.Cost is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"{c:0.####} live, {estimate.BatchCost:0.####} through a batch")
            : "n/a (give --price-in and --price-out)";
        output.WriteLine($"dry run           {manifest.Name}, split {settings.Split}, teacher {estimate.Teacher}: nothing was sent");
        output.WriteLine($"rows              {estimate.Rows}");
        output.WriteLine($"requests          {estimate.Requests} ({estimate.CachedSamples} samples already cached)");
        output.WriteLine($"prompt tokens     {estimate.PromptTokens} (o200k_base tokenizer)");
        output.WriteLine($"completion tokens {estimate.CompletionTokens} (estimated: {estimate.CompletionTokensPerRequest} per request)");
        output.WriteLine($"estimated cost    {cost}");
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

        // --show-prompt sends nothing, so it needs no key.
        var key = settings.ShowPrompt ? environment(settings.ApiKeyEnv) ?? "none" : environment(settings.ApiKeyEnv);
        if (string.IsNullOrEmpty(key))
        {
            throw new UserFacingException($"annotate: the environment variable {settings.ApiKeyEnv} (--api-key-env) is not set; put the API key there (a local server that ignores keys still needs a value, e.g. none)");
        }

        var callOptions = new TeacherCallOptions { MaxConcurrency = settings.Concurrency, MaxRetries = settings.Retries, PerCallTimeout = TimeSpan.FromSeconds(settings.Timeout) };
        var chat = OpenAiCompatibleTeacher.Create(endpoint, settings.Model, key, callOptions, settings.TeacherId);
        return new OpenedTeacher(chat, chat);
    }

    private async Task<AnnotationResult> AnnotateAsync(
        RationaleAnnotator annotator, ITeacher teacher, RationaleAnnotatorOptions options, IDataView data, bool showProgress, CancellationToken cancellationToken)
    {
        if (!showProgress)
        {
            var annotated = await annotator.AnnotateAsync(data, cancellationToken);
            firstFailure = annotated.Rows.FirstOrDefault(r => r.Status == AnnotationStatus.CallFailed)?.Reason;
            return annotated;
        }

        AnnotationResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"annotating with {teacher.CacheIdentity}", maxValue: data.GetRowCount() ?? 1);
                options.Progress = new SynchronousProgress<AnnotationProgress>(p =>
                {
                    task.Value = p.Done;
                    task.Description = $"{p.Done}/{p.Total} rows, {p.Ok} ok, {p.Failed} failed, {p.Calls} calls, {p.CacheHits} cached";
                });
                result = await annotator.AnnotateAsync(data, cancellationToken);
            });
        firstFailure = result!.Rows.FirstOrDefault(r => r.Status == AnnotationStatus.CallFailed)?.Reason;
        return result!;
    }

    private static string DefaultTeacher(DatasetManifest manifest) =>
        manifest.Teachers.Count == 1 ? manifest.Teachers.Keys.First() : "palm-540b";

    private void WriteJson(DatasetManifest manifest, string split, AnnotationReport report)
    {
        var json = new
        {
            dataset = manifest.Name,
            family = manifest.Family.Name,
            split,
            teacher = report.Teacher,
            rows = report.Rows,
            annotated = report.Ok,
            labelOnly = report.LabelOnly,
            rationales = report.Rationales.ToName(),
            bootstrappedExemplars = report.BootstrappedExemplars,
            bootstrapCalls = report.BootstrapCalls,
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
            tokensEstimated = report.TokensEstimated,
            cost = report.Cost,
            budgetReached = report.BudgetReached,
            batchedCalls = report.BatchedCalls,
            batchesCreated = report.BatchesCreated,
            goldRows = report.GoldRows,
            rowsWithGold = report.RowsWithGold,
            teacherCorrect = report.TeacherCorrect,
            teacherAccuracy = report.TeacherAccuracy,
            seconds = Math.Round(report.Elapsed.TotalSeconds, 3),
        };
        output.WriteLine(JsonSerializer.Serialize(json));
    }

    private void WriteText(DatasetManifest manifest, string split, AnnotationReport report, IReadOnlyList<RowAnnotation> rows)
    {
        var accuracy = report.Rationales == RationaleMode.ExplainGold
            ? "n/a (explain-gold: the teacher was told the gold labels)"
            : report.TeacherAccuracy is { } a
            ? $"{a.ToString("0.0000", CultureInfo.InvariantCulture)} ({report.TeacherCorrect} of {report.RowsWithGold} answered rows with gold)"
            : report.GoldRows > 0 ? $"n/a (none of the {report.GoldRows} rows with gold was answered)" : "n/a (no gold targets)";
        var cost = report.Cost is { } c ? string.Create(CultureInfo.InvariantCulture, $", cost {c:0.######}") : "";
        var batch = report.BatchedCalls > 0 || report.BatchesCreated > 0 ? $", {report.BatchedCalls} through {report.BatchesCreated} new batch(es)" : "";
        output.WriteLine($"dataset           {manifest.Name} ({manifest.Family.Name}), split {split}, teacher {report.Teacher}");
        output.WriteLine($"rows              {report.Rows}");
        output.WriteLine($"rationales        {report.Rationales.ToName()}{(report.BootstrappedExemplars > 0 ? $", {report.BootstrappedExemplars} exemplars written by the teacher ({report.BootstrapCalls} calls)" : "")}");
        output.WriteLine($"annotated         {report.Ok}");
        output.WriteLine($"label only        {report.LabelOnly} (a label without a rationale: usable by the label-only methods)");
        output.WriteLine($"parse failures    {report.ParseFailed} (no label found {report.NoLabelFound}, label rejected {report.ParseFailed - report.NoLabelFound})");
        output.WriteLine($"call failures     {report.CallFailed}");
        output.WriteLine($"filtered          {report.Filtered}");
        output.WriteLine($"teacher calls     {report.Calls} ({report.CacheHits} cache hits, {report.CallFailures} failed{batch})");
        output.WriteLine($"tokens            {report.PromptTokens} prompt / {report.CompletionTokens} completion{(report.TokensEstimated ? " (some estimated)" : "")}{cost}");
        output.WriteLine($"teacher accuracy  {accuracy}");
        output.WriteLine($"time              {report.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s");
        foreach (var failed in rows.Where(r => r.Status is AnnotationStatus.ParseFailed or AnnotationStatus.CallFailed).Take(5))
        {
            output.WriteLine($"  {failed.Status} {failed.Id}: {failed.Reason}");
        }
    }

    private static void WriteRows(string path, IReadOnlyList<TaskExample> examples, IReadOnlyList<RowAnnotation> annotated, ITaskFormat format)
    {
        try
        {
            AnnotatedRowsFile.Write(path, examples.Select((example, i) => AnnotatedFileRow.From(example, format.FormatInput(example), annotated[i])));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"annotate: --out {path}: {ex.Message}");
        }
    }

    /// <summary>The teacher, and what to dispose when the command ends.</summary>
    private sealed record OpenedTeacher(ITeacher Teacher, IDisposable? Owned) : IDisposable
    {
        public void Dispose() => Owned?.Dispose();
    }
}
