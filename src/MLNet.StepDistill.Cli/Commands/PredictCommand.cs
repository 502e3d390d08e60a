using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// `stepdistill predict`: one answer (and optionally its rationale) from a saved model, or every row of a file scored
/// into a predictions file (<c>--input FILE</c> or <c>--dataset D --split S</c>, with <c>--out</c>; see <see cref="FileScoring"/>).
/// </summary>
internal sealed class PredictCommand : Command<PredictCommand.Settings>
{
    internal sealed class Settings : DatasetSettings
    {
        [CommandOption("--model <FILE>")]
        [Description("A model zip written by train, or a folder written by export-onnx (served by ONNX Runtime).")]
        public string? Model { get; set; }

        [CommandOption("--text <TEXT>")]
        [Description("The task input, formatted as the dataset's inputs are (for CQA: question, then the answer choices).")]
        public string? Text { get; set; }

        [CommandOption("--choices <LIST>")]
        [Description("Multiple-choice models: the choices, separated by '|'.")]
        public string? Choices { get; set; }

        [CommandOption("--rationale")]
        [Description("Also generate the student's rationale (with --input: a \"rationale\" field on each line).")]
        public bool Rationale { get; set; }

        [CommandOption("--input <FILE>")]
        [Description("Score every row of a file (.jsonl or .csv) with the dataset's raw fields (the model zip's saved format names them, or --dataset); write them to --out.")]
        public string? Input { get; set; }

        [CommandOption("--out <FILE>")]
        [Description("The predictions file --input or --split writes: one JSON line per row, in order (line, id, label, scores by class, rationale; or line and error).")]
        public string? Out { get; set; }

        [CommandOption("--batch-size <N>")]
        [Description("Rows read and answered together when scoring a file (default 256).")]
        public int? BatchSize { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }
    }

    private readonly TextWriter output;
    private readonly TextWriter errors;

    public PredictCommand()
        : this(Console.Out, Console.Error)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> and reports unreadable rows to <paramref name="errors"/> (tests capture them).</summary>
    internal PredictCommand(TextWriter output, TextWriter? errors = null)
    {
        this.output = output;
        this.errors = errors ?? output;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Model) || !(File.Exists(settings.Model) || Directory.Exists(settings.Model)))
        {
            throw new UserFacingException($"predict: --model must name an existing model zip or exported ONNX folder (got \"{settings.Model}\")");
        }

        var scoresFile = settings.Input is not null || settings.Split is not null;
        if (scoresFile)
        {
            return ScoreFile(settings, cancellationToken);
        }

        if (string.IsNullOrWhiteSpace(settings.Text))
        {
            throw new UserFacingException("predict: give --text TEXT (one input), or --input FILE or --dataset D --split S with --out FILE (a file of rows)");
        }

        if (settings.Out is not null || settings.Dataset is not null || settings.BatchSize is not null)
        {
            throw new UserFacingException("predict: --out, --dataset and --batch-size go with --input FILE or --split NAME (scoring a file); --text prints its answer");
        }

        CliThreads.Apply("predict", settings.Threads);
        var ml = new MLContext(0);
        using var loaded = ModelFiles.LoadServed("predict", settings.Model);
        var student = settings.Rationale ? WithRationale(loaded.Student) : loaded.Student;

        var choices = settings.Choices?.Split('|', StringSplitOptions.TrimEntries) ?? [];
        if (student.IsMultipleChoice && choices.Length == 0)
        {
            throw new UserFacingException("predict: this model answers multiple-choice questions; give --choices \"a|b|c|d|e\"");
        }

        if (!student.IsMultipleChoice && choices.Length > 0)
        {
            throw new UserFacingException($"predict: --choices: this model does not answer multiple-choice questions ({(student.IsOpenTarget ? "it generates its answer" : "its labels are " + string.Join(", ", student.ClassNames))})");
        }

        var input = choices.Length > 0 && !settings.Text.Contains("Answer Choices:", StringComparison.Ordinal)
            ? new MultipleChoiceFormat().FormatInput(new TaskExample("", [settings.Text], choices, null))
            : settings.Text;
        var row = new AnnotatedRow { Input = input, Choices = choices };
        var answer = FileScoring.Answer(ml, student, [row], settings.Rationale).Single();
        output.WriteLine($"prediction  {answer.Label}");
        if (answer.Scores is { } scores)
        {
            // By class name (the Score column's slot names); a multiple-choice class is a position, shown with its choice.
            output.WriteLine("scores      " + string.Join(", ", scores.Select((p, i) =>
                $"{p.Name}{(student.IsMultipleChoice && i < choices.Length ? $" ({choices[i]})" : "")} {p.Score.ToString("F3", CultureInfo.InvariantCulture)}")));
        }

        if (settings.Rationale)
        {
            output.WriteLine($"rationale   {answer.Rationale}");
        }

        return 0;
    }

    private int ScoreFile(Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Text is not null || settings.Choices is not null)
        {
            throw new UserFacingException("predict: --text and --choices answer one input; --input FILE and --split NAME score a file's rows (their choices are in the rows)");
        }

        if (settings.Input is not null && settings.Split is not null)
        {
            throw new UserFacingException("predict: give --input FILE or --dataset D --split NAME, not both");
        }

        if (string.IsNullOrWhiteSpace(settings.Out))
        {
            throw new UserFacingException("predict: --out FILE is required with --input and --split (the predictions, one JSON line per row)");
        }

        if (settings.BatchSize is < 1 or > 65536)
        {
            throw new UserFacingException($"predict: --batch-size must be between 1 and 65536, got {settings.BatchSize}");
        }

        var dataset = settings.Dataset is not null || settings.Split is not null ? CliDataset.OpenDataset("predict", settings.Dataset) : null;
        string input;
        if (settings.Split is { } split)
        {
            try
            {
                input = dataset!.Manifest.SplitPath(split);
            }
            catch (KeyNotFoundException ex)
            {
                throw new UserFacingException($"predict: --split: {ex.Message}", ex);
            }
        }
        else
        {
            input = settings.Input!;
            if (!File.Exists(input))
            {
                throw new UserFacingException($"predict: --input {input}: no such file");
            }
        }

        if (Path.GetFullPath(input) == Path.GetFullPath(settings.Out))
        {
            throw new UserFacingException($"predict: --out {settings.Out} is the input file; write the predictions elsewhere");
        }

        CliThreads.Apply("predict", settings.Threads);
        var ml = new MLContext(0);
        using var loaded = ModelFiles.LoadServed("predict", settings.Model!);
        var saved = loaded.Format;
        if (dataset is null && saved is null)
        {
            throw new UserFacingException($"predict: the model {settings.Model} does not say which fields a row has (an exported ONNX folder keeps no input format); give --dataset FOLDER, the dataset it was trained on");
        }

        if (dataset is not null && saved is not null && dataset.Schema.Family != saved.Schema.Family)
        {
            throw new UserFacingException($"predict: the model answers {saved.Schema.Family.Name} rows; --dataset {dataset.Manifest.Name} is {dataset.Schema.Family.Name}");
        }

        var schema = dataset?.Schema ?? saved!.Schema;
        Func<TaskExample, string> format = saved is not null && dataset is null
            ? saved.FormatInput
            : schema.Family.CreateFormat(saved?.EndOfSequence ?? NliFormat.T5EndOfSequence).FormatInput;
        var student = settings.Rationale ? WithRationale(loaded.Student) : loaded.Student;

        var summary = FileScoring.Run(ml, student, format, schema, input, settings.Out, settings.BatchSize ?? 256, settings.Rationale, output, errors, cancellationToken);
        if (summary.Unreadable > 0)
        {
            throw new UserFacingException($"predict: {summary.Unreadable} of the {summary.Rows} rows of {input} could not be read (reported above; their lines in {settings.Out} hold the error); the other rows are scored");
        }

        return 0;
    }

    /// <summary>The student that also explains its answers (<c>--rationale</c>).</summary>
    private static IStudentTransformer WithRationale(IStudentTransformer student)
    {
        try
        {
            return student.WithRationale();
        }
        catch (ArgumentException ex)
        {
            throw new UserFacingException($"predict: --rationale: {ex.Message}");
        }
    }
}
