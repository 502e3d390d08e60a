using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Training;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill predict`: one answer (and optionally its rationale) from a saved model.</summary>
internal sealed class PredictCommand : Command<PredictCommand.Settings>
{
    internal sealed class Settings : CommandSettings
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
        [Description("Also generate the student's rationale.")]
        public bool Rationale { get; set; }

        [CommandOption("--threads <N>")]
        [Description(CliThreads.Help)]
        public int? Threads { get; set; }
    }

    private readonly TextWriter output;

    public PredictCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal PredictCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Model) || !(File.Exists(settings.Model) || Directory.Exists(settings.Model)))
        {
            throw new UserFacingException($"predict: --model must name an existing model zip or exported ONNX folder (got \"{settings.Model}\")");
        }

        if (string.IsNullOrWhiteSpace(settings.Text))
        {
            throw new UserFacingException("predict: --text is required");
        }

        CliThreads.Apply("predict", settings.Threads);
        var ml = new MLContext(0);
        using var loaded = ServedStudent.Load("predict", ml, settings.Model);
        var student = loaded;
        if (settings.Rationale)
        {
            try
            {
                student = student.WithRationale();
            }
            catch (ArgumentException ex)
            {
                throw new UserFacingException($"predict: --rationale: {ex.Message}");
            }
        }

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
        var scored = student.Student.Transform(AnnotatedSplit.ToDataView(ml, [row]));
        var text = scored.GetColumn<string>("PredictedText").Single();
        output.WriteLine($"prediction  {text}");
        if (!student.IsOpenTarget)
        {
            var scores = scored.GetColumn<float[]>("Score").Single();
            output.WriteLine("scores      " + string.Join(", ", student.ClassNames.Zip(scores).Select(p => $"{p.First} {p.Second.ToString("F3", CultureInfo.InvariantCulture)}")));
        }

        if (settings.Rationale)
        {
            output.WriteLine($"rationale   {scored.GetColumn<string>("PredictedRationale").Single()}");
        }

        return 0;
    }
}
