using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill experiment`: the paper's comparison (fine-tuning, task distillation, step-by-step with gold or teacher
/// labels) over training fractions and seeds; writes results.json (after every run), report.md and accuracy-vs-data.png
/// under --out, and resumes from results.json when run again with the same --out.
/// </summary>
internal sealed class ExperimentCommand : Command<ExperimentCommand.Settings>
{
    internal sealed class Settings : StudentTrainingSettings
    {
        /// <summary>The folder the experiment writes: --out, or experiment.</summary>
        internal string OutputFolder => Out ?? "experiment";

        [CommandOption("--recipe <NAME>")]
        [Description("cpu (default: the CPU-sized configuration measured in the README) or paper (lr 5e-5, batch 64, max input 1024, alpha 0.5, 10,000 steps, validation every 250 steps keeping the best checkpoint, fractions 12.5/25/50/100%; pair it with --student <t5-v1_1-base folder> --device cuda).")]
        public string Recipe { get; set; } = "cpu";

        [CommandOption("--explained <FILE>")]
        [Description("The rows `annotate --rationales explain-gold --out FILE` wrote over the same training rows: the rationales of the step-by-step-explained method (gold labels with rationales that explain them), matched by id.")]
        public string? Explained { get; set; }

        [CommandOption("--test-split <NAME>")]
        [Description("The held-out split every run is scored on. Default test.")]
        public string? TestSplit { get; set; }

        [CommandOption("--test-rows <N>")]
        [Description("Score on the first N rows of the test split (0: all). Default 1000 (cpu), all (paper).")]
        public int? TestRows { get; set; }

        [CommandOption("--validation-rows <N>")]
        [Description("Rows carved from the pool (seeded) to validate on during training. Default 0 (cpu), 1000 (paper).")]
        public int? ValidationRows { get; set; }

        [CommandOption("--methods <LIST>")]
        [Description("Comma-separated: fine-tuning, distillation, step-by-step-gold, step-by-step-teacher, single-task, step-by-step-explained (with --explained). Default the first four.")]
        public string? Methods { get; set; }

        [CommandOption("--fractions <LIST>")]
        [Description("Training fractions, comma-separated, each in (0, 1]]. Default 0.25,1 (cpu), 0.125,0.25,0.5,1 (paper).")]
        public string? Fractions { get; set; }

        [CommandOption("--seeds <LIST>")]
        [Description("Seeds, comma-separated: the table shows mean and 95% interval over them. Default 1 (cpu), 0 (paper).")]
        public string? Seeds { get; set; }

        [CommandOption("--step-budget <RULE>")]
        [Description("equal-steps (default: every run --steps steps, the paper's rule) or equal-epochs (a fraction f trains f x --steps steps).")]
        public string? StepBudget { get; set; }

        [CommandOption("--warmup <N>")]
        [Description("Linear warm-up steps (default: a tenth of --steps; paper: 0).")]
        public int? Warmup { get; set; }

        [CommandOption("--teacher-price-in <PRICE>")]
        [Description("Teacher price per million prompt tokens, for the cost section of report.md.")]
        public double? PriceIn { get; set; }

        [CommandOption("--teacher-price-out <PRICE>")]
        [Description("Teacher price per million completion tokens.")]
        public double? PriceOut { get; set; }

        [CommandOption("--parallel <N>")]
        [Description("Runs trained side by side, each on its own thread and random generator (results are the same for any N). Default: the cores / torch threads per run (1), so 2 on two cores.")]
        public int? Parallel { get; set; }

        [CommandOption("--report-only")]
        [Description("Train nothing: write report.md, the plot and the table from the runs --out's results.json already holds (e.g. of an interrupted experiment).")]
        public bool ReportOnly { get; set; }

        public StepByStepExperimentOptions ToOptions()
        {
            var options = Recipe.ToLowerInvariant() switch
            {
                "cpu" => new StepByStepExperimentOptions(),
                "paper" => StepByStepExperimentOptions.PaperRecipe(Student ?? "t5-v1_1-base", Device ?? "cuda"),
                _ => throw new UserFacingException($"experiment: --recipe \"{Recipe}\" is not one of cpu, paper"),
            };
            options.DatasetFolder = Dataset ?? options.DatasetFolder;
            options.TrainSplit = Split ?? options.TrainSplit;
            options.AnnotatedRowsPath = Annotated;
            options.ExplainedRowsPath = Explained;
            options.TestSplit = TestSplit ?? options.TestSplit;
            options.TestRows = TestRows ?? options.TestRows;
            options.ValidationRows = ValidationRows ?? options.ValidationRows;
            options.Methods = Methods is null ? options.Methods : List(Methods, "--methods", m => CliTrainerOptions.ParseMethod("experiment", "--methods", m));
            options.Fractions = Fractions is null ? options.Fractions : List(Fractions, "--fractions", v => Number(v, "--fractions"));
            options.Seeds = Seeds is null ? options.Seeds : List(Seeds, "--seeds", v => (int)Number(v, "--seeds"));
            options.Trainer.Student = Student ?? options.Trainer.Student;
            options.Trainer.TokenizerPath = Tokenizer ?? options.Trainer.TokenizerPath;
            options.Steps = Steps ?? options.Steps;
            options.StepBudget = StepBudget?.ToLowerInvariant() switch
            {
                null => options.StepBudget,
                "equal-steps" => ExperimentStepBudget.EqualSteps,
                "equal-epochs" => ExperimentStepBudget.EqualEpochs,
                _ => throw new UserFacingException($"experiment: --step-budget \"{StepBudget}\" is not one of equal-steps, equal-epochs"),
            };
            options.Trainer.BatchSize = BatchSize ?? options.Trainer.BatchSize;
            options.Trainer.LearningRate = LearningRate ?? options.Trainer.LearningRate;
            options.WarmupSteps = Warmup ?? options.WarmupSteps;
            options.Trainer.Alpha = Alpha ?? options.Trainer.Alpha;
            options.Trainer.MaxInputLength = MaxInput ?? options.Trainer.MaxInputLength;
            options.Trainer.MaxTargetLength = MaxTarget ?? options.Trainer.MaxTargetLength;
            options.Trainer.EvaluateEveryNSteps = EvalEvery ?? options.Trainer.EvaluateEveryNSteps;
            options.Trainer.Device = Device ?? options.Trainer.Device;
            options.TeacherPricePerMillionInputTokens = PriceIn;
            options.TeacherPricePerMillionOutputTokens = PriceOut;
            options.OutputFolder = OutputFolder;
            options.ReportOnly = ReportOnly;
            options.DropUnknownLabels = DropUnknownLabels;
            options.Parallel = Parallel;   // checked by the experiment (StepByStepExperimentOptions.Parallel), named --parallel by CliOptionErrors
            return options;
        }

        private static T[] List<T>(string text, string flag, Func<string, T> parse)
        {
            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return items.Length == 0 ? throw new UserFacingException($"experiment: {flag} is empty") : items.Select(parse).ToArray();
        }

        private static double Number(string value, string flag) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new UserFacingException($"experiment: {flag}: \"{value}\" is not a number");
    }

    private readonly TextWriter output;

    public ExperimentCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal ExperimentCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        if (options.DropUnknownLabels)
        {
            var dataset = CliDataset.OpenDataset("experiment", options.DatasetFolder, dropUnknownLabels: true);
            CliDataset.ReportDropped("experiment", dataset, options.TrainSplit ?? dataset.Manifest.DefaultTrainSplit, Console.Error);
            CliDataset.ReportDropped("experiment", dataset, options.TestSplit, Console.Error);
        }

        ExperimentOutcome outcome;
        try
        {
            var experiment = new StepByStepExperiment(new MLContext(options.Seeds[0]), options);
            outcome = settings.Json ? experiment.Run(cancellationToken) : WithProgress(experiment, options, cancellationToken);
        }
        catch (DatasetFormatException ex) when (ex.FilePath == options.AnnotatedRowsPath)
        {
            throw new UserFacingException($"experiment: --annotated {ex.Message}", ex);
        }
        catch (DatasetFormatException ex) when (ex.FilePath == options.ExplainedRowsPath)
        {
            throw new UserFacingException($"experiment: --explained {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or DatasetFormatException or IOException or KeyNotFoundException or InvalidDataException)
        {
            throw CliOptionErrors.For("experiment", ex);
        }

        var arguments = context?.Arguments ?? [];
        var command = "stepdistill experiment " + string.Join(' ', arguments.Skip(arguments.Count > 0 && arguments[0] == "experiment" ? 1 : 0));
        var reportPath = Path.Combine(settings.OutputFolder, ExperimentMarkdownReport.FileName);
        ExperimentResultsFile.WriteText(reportPath, ExperimentMarkdownReport.Write(outcome, command.TrimEnd()));
        AccuracyPlot.Save(outcome, Path.Combine(settings.OutputFolder, AccuracyPlot.FileName));
        if (settings.Json)
        {
            output.WriteLine(File.ReadAllText(Path.Combine(settings.OutputFolder, ExperimentResultsFile.FileName)));
            return 0;
        }

        var s = outcome.Settings;
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Distilling step-by-step on {s.Dataset}: {s.Student} student, {s.Steps} steps of {s.BatchSize} rows per run, {outcome.Runs.Count} runs, first {s.TestRows} rows of {s.TestSplit}."));
        var table = new Table();
        foreach (var column in ExperimentTable.Columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        foreach (var row in ExperimentTable.Cells(outcome))
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = Math.Max(console.Profile.Width, 140);
        console.Write(table);
        foreach (var line in ExperimentMarkdownReport.Reading(outcome))
        {
            output.WriteLine("- " + line.Replace("`", "", StringComparison.Ordinal));
        }

        output.WriteLine();
        output.WriteLine($"Wrote {Path.Combine(settings.OutputFolder, ExperimentResultsFile.FileName)}, {reportPath} and {Path.Combine(settings.OutputFolder, AccuracyPlot.FileName)}.");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total time {outcome.Seconds:F0} s."));
        if (outcome.PeakMemoryBytes > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Peak memory of the {outcome.Parallel} run(s) side by side: {outcome.PeakMemoryBytes / (1024.0 * 1024 * 1024):F2} GiB."));
        }
        return 0;
    }

    /// <summary>
    /// On a terminal, a bar per run in flight (run i of n, step, loss, ETA) and one over all runs; otherwise a line per
    /// finished run and every tenth of a run's steps, each beginning with its run ("run i/n method fraction seed"), so
    /// runs side by side stay apart.
    /// </summary>
    private static ExperimentOutcome WithProgress(StepByStepExperiment experiment, StepByStepExperimentOptions options, CancellationToken cancellationToken)
    {
        var totalSteps = (double)options.Seeds.Length * options.Fractions.Length * options.Methods.Length * options.Steps;
        static string Describe(ExperimentRunProgress p) => string.Create(CultureInfo.InvariantCulture,
            $"run {p.Run}/{p.RunCount} {TrainingMethods.Name(p.Method)} {p.Fraction * 100:0.#}% seed {p.Seed}") +
            (p.Step is { } step ? string.Create(CultureInfo.InvariantCulture, $": step {step.Step}/{step.TotalSteps} loss {step.Loss:F3}") : "");

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            options.Progress = new SynchronousProgress<ExperimentRunProgress>(p =>
            {
                if (p.Finished is { } r)
                {
                    Console.Error.WriteLine(Describe(p) + (p.Skipped ? ": found in results.json, skipped" : string.Create(CultureInfo.InvariantCulture, $": accuracy {r.Accuracy:F3} [{r.AccuracyLow:F3}, {r.AccuracyHigh:F3}] in {r.Seconds:F0} s")));
                }
                else if (p.Step is { } step && (step.Step == 1 || step.Step % Math.Max(1, step.TotalSteps / 10) == 0))
                {
                    Console.Error.WriteLine(Describe(p));
                }
            });
            return experiment.Run(cancellationToken);
        }

        // One line per run in flight (runs may train side by side, --parallel), above one bar over all runs.
        ExperimentOutcome? outcome = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var total = context.AddTask("experiment", maxValue: totalSteps);
                var runs = new Dictionary<int, ProgressTask>();
                var done = new Dictionary<int, double>();
                var finishedRuns = new HashSet<int>();
                // SynchronousProgress hands over one report at a time, from whichever run's thread sent it.
                options.Progress = new SynchronousProgress<ExperimentRunProgress>(p =>
                {
                    done[p.Run] = p.Finished is null ? p.Step?.Step ?? 0 : options.Steps;
                    total.Value = Math.Min(totalSteps, done.Values.Sum());
                    total.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"experiment: {finishedRuns.Count} of {p.RunCount} runs"));
                    if (p.Finished is not null)
                    {
                        finishedRuns.Add(p.Run);
                        if (runs.Remove(p.Run, out var finished))
                        {
                            finished.Value = finished.MaxValue;
                            finished.StopTask();
                        }

                        return;
                    }

                    if (p.Step is { } step)
                    {
                        if (!runs.TryGetValue(p.Run, out var task))
                        {
                            runs[p.Run] = task = context.AddTaskBefore("run", total, maxValue: step.TotalSteps);
                        }

                        task.Value = step.Step;
                        task.Description = Markup.Escape(Describe(p));
                    }
                });
                outcome = experiment.Run(cancellationToken);
                total.Value = totalSteps;
            });
        return outcome!;
    }
}
