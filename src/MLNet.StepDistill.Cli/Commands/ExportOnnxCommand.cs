using System.ComponentModel;
using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Training;
using Spectre.Console.Cli;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>`stepdistill export-onnx`: writes a model zip's student as ONNX graphs that ONNX Runtime serves without libtorch.</summary>
internal sealed class ExportOnnxCommand : Command<ExportOnnxCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--model <FILE>")]
        [Description("A model zip written by train (or SaveModel).")]
        public string? Model { get; set; }

        [CommandOption("--out <FOLDER>")]
        [Description("The folder to write (encoder.onnx, decoder.onnx, spiece.model, manifest.json); replaced when it exists.")]
        public string? Out { get; set; }
    }

    private readonly TextWriter output;

    public ExportOnnxCommand()
        : this(Console.Out)
    {
    }

    /// <summary>A command that prints to <paramref name="output"/> (tests capture it).</summary>
    internal ExportOnnxCommand(TextWriter output) => this.output = output;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Model) || !File.Exists(settings.Model))
        {
            throw new UserFacingException($"export-onnx: --model must name an existing model zip (got \"{settings.Model}\")");
        }

        if (string.IsNullOrWhiteSpace(settings.Out))
        {
            throw new UserFacingException("export-onnx: --out is required (the folder to write)");
        }

        ModelFiles.CheckOutputFolder("export-onnx", settings.Out);
        if (File.Exists(settings.Out))
        {
            throw new UserFacingException($"export-onnx: --out {settings.Out} is a file; name a folder");
        }

        using var loaded = ModelFiles.LoadServed("export-onnx", settings.Model);
        var student = loaded.Student as Seq2SeqStudentTransformer
            ?? throw new UserFacingException($"export-onnx: --model {settings.Model} holds an ONNX student already (served by ONNX Runtime); there is nothing to export");
        try
        {
            student.ExportOnnx(settings.Out);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserFacingException($"export-onnx: --out {settings.Out}: {ex.Message}");
        }

        foreach (var file in Directory.GetFiles(settings.Out).Order(StringComparer.Ordinal))
        {
            var size = new FileInfo(file).Length / 1048576.0;
            output.WriteLine($"{Path.GetFileName(file),-14} {size.ToString("F1", CultureInfo.InvariantCulture),8} MB");
        }

        output.WriteLine($"exported to {settings.Out}; serve it with MLNet.StepDistill.Onnx, or: stepdistill predict --model {settings.Out} --text ...");
        return 0;
    }
}
