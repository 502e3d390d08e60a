using System.Reflection;
using MLNet.StepDistill.Cli.Commands;
using Spectre.Console.Cli;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// Every CLI option is declared once (one description, one default), in the settings group of the commands that share it
/// (<c>SharedSettings.cs</c>): a second declaration of a shared option fails here. The few names that several commands
/// declare for themselves are listed with the types that declare them and why.
/// </summary>
public sealed class SharedOptionsTests
{
    /// <summary>
    /// Names declared in more than one settings type, by design: each entry's types are exactly the declaring ones, so the
    /// list cannot go stale, and any other name declared twice fails.
    /// </summary>
    private static readonly Dictionary<string, (string[] DeclaredBy, string Why)> DeclaredPerCommand = new(StringComparer.Ordinal)
    {
        ["model"] = (["AnnotateCommand+Settings", "EvaluateCommand+Settings", "ExportOnnxCommand+Settings", "PredictCommand+Settings"],
            "annotate's --model is the teacher's model id; evaluate, predict and export-onnx read a student, but share no settings group with each other that the other options allow"),
        ["out"] = (["AnnotateCommand+Settings", "ExportOnnxCommand+Settings", "PredictCommand+Settings", "TrainingRunSettings"],
            "what is written differs: annotated rows, an ONNX folder, a predictions file; the training commands share one --out"),
        ["threads"] = (["EvaluateCommand+Settings", "PredictCommand+Settings", "TrainCommand+Settings"],
            "libtorch threads of the commands that run one model; one help text (CliThreads.Help) and one check (CliThreads.Apply)"),
        ["recorded-name"] = (["AnnotateCommand+Settings", "TrainCommand+Settings"],
            "annotate picks the recorded teacher that annotates; train picks the one whose annotations it trains on"),
        ["seed"] = (["SweepCommand+Settings", "TrainCommand+Settings"],
            "train seeds one run; sweep seeds the settings drawn, the validation carve and the trials (experiment takes --seeds)"),
        ["methods"] = (["ExperimentCommand+Settings", "SweepCommand+Settings"],
            "experiment runs each method; sweep searches over them (one parser: CliTrainerOptions.ParseMethod)"),
        ["parallel"] = (["ExperimentCommand+Settings", "SweepCommand+Settings"],
            "runs of an experiment, trials of a sweep"),
        ["test-rows"] = (["ExperimentCommand+Settings", "SweepCommand+Settings"],
            "experiment scores every run on them (0: all); sweep reports the best trials on them (0: none)"),
        ["validation-rows"] = (["ExperimentCommand+Settings", "SweepCommand+Settings"],
            "experiment carves exactly N (default 0); sweep carves at most N of --validation-fraction (default 300)"),
        ["steps"] = (["StudentTrainingSettings", "SweepCommand+Settings"],
            "sweep's --steps is a MIN,MAX range to search, not a step count"),
        ["lr"] = (["StudentTrainingSettings", "SweepCommand+Settings"],
            "sweep's --lr is a MIN,MAX range to search, not a rate"),
        ["batch-size"] = (["StudentTrainingSettings", "PredictCommand+Settings"],
            "predict's --batch-size is rows read and answered together, not rows per optimiser step"),
    };

    private static readonly Type[] SettingsTypes = typeof(CommandRegistry).Assembly.GetTypes()
        .Where(t => typeof(CommandSettings).IsAssignableFrom(t) && t != typeof(CommandSettings))
        .ToArray();

    /// <summary>Each long option name, with the settings types whose own properties (not inherited ones) declare it.</summary>
    private static Dictionary<string, string[]> Declarations() => SettingsTypes
        .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .OfType<CommandOptionAttribute>()
            .SelectMany(o => o.LongNames)
            .Select(name => (Name: name, Type: Name(t))))
        .GroupBy(d => d.Name, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Select(d => d.Type).Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);

    private static string Name(Type type) => type.DeclaringType is { } outer ? $"{outer.Name}+{type.Name}" : type.Name;

    [Fact]
    public void Every_option_is_declared_in_one_place_but_the_listed_ones()
    {
        var declarations = Declarations();
        Assert.Contains("dataset", declarations.Keys); // the reflection sees the options

        var twice = declarations.Where(d => d.Value.Length > 1 && !DeclaredPerCommand.ContainsKey(d.Key))
            .Select(d => $"--{d.Key} in {string.Join(", ", d.Value)}").ToArray();
        Assert.True(twice.Length == 0, "declare a shared option once, in the settings group of SharedSettings.cs that fits its commands: " + string.Join("; ", twice));
        foreach (var (name, (declaredBy, _)) in DeclaredPerCommand)
        {
            Assert.Equal(declaredBy.Order(StringComparer.Ordinal), declarations.GetValueOrDefault(name, []));
        }
    }

    [Theory]
    [InlineData("DatasetSettings", "dataset", "split")]
    [InlineData("LabelledDatasetSettings", "drop-unknown-labels", "json")]
    [InlineData("TrainingRunSettings", "annotated", "out", "device")]
    [InlineData("StudentTrainingSettings", "student", "tokenizer", "steps", "batch-size", "lr", "alpha", "max-input", "max-target", "eval-every")]
    public void The_shared_groups_declare_the_options_their_commands_share(string group, params string[] options)
    {
        var declarations = Declarations();

        Assert.All(options, option => Assert.Contains(group, declarations[option]));
    }

    [Theory]
    [InlineData(typeof(AnnotateCommand.Settings), "LabelledDatasetSettings")]
    [InlineData(typeof(EvaluateCommand.Settings), "LabelledDatasetSettings")]
    [InlineData(typeof(PredictCommand.Settings), "DatasetSettings")]
    [InlineData(typeof(TrainCommand.Settings), "StudentTrainingSettings")]
    [InlineData(typeof(ExperimentCommand.Settings), "StudentTrainingSettings")]
    [InlineData(typeof(SweepCommand.Settings), "TrainingRunSettings")]
    public void Each_command_takes_its_group(Type settings, string group) =>
        Assert.Equal(group, settings.BaseType!.Name);
}
