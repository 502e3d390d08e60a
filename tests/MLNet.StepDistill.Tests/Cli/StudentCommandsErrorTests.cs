using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>Bad options through the real entry point: exit code 2 and a message naming the option.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class StudentCommandsErrorTests
{
    [Theory]
    [InlineData("--method: \"fast\" is not a method; known: fine-tuning, distillation,", "train", "--dataset", "{cqa}", "--method", "fast", "--out", "{out}")]
    [InlineData("--mode and --labels were replaced by --method", "train", "--dataset", "{cqa}", "--mode", "fast", "--out", "{out}")]
    [InlineData("--dataset", "train", "--dataset", "{missing}", "--out", "{out}")]
    [InlineData("--fraction", "train", "--dataset", "{cqa}", "--fraction", "1.5", "--out", "{out}")]
    [InlineData("--alpha", "train", "--dataset", "{cqa}", "--fraction", "0.001", "--alpha", "2", "--out", "{out}")]
    [InlineData("--labels oracle names no method", "train", "--dataset", "{cqa}", "--labels", "oracle", "--out", "{out}")]
    [InlineData("stepdistill experiment --methods", "distill")]
    [InlineData("stepdistill train --method step-by-step-teacher", "distill", "--dataset", "{cqa}", "--modes", "step-by-step,fast", "--out", "{out}")]
    [InlineData("--dataset", "evaluate", "--model", "{self}", "--dataset", "{missing}")]
    [InlineData("--limit", "evaluate", "--model", "{self}", "--dataset", "{cqa}", "--limit", "0")]
    [InlineData("--limit", "evaluate", "--model", "{self}", "--dataset", "{cqa}", "--limit=-3")]
    [InlineData("--model", "predict", "--model", "{missing}", "--text", "hi")]
    [InlineData("--model", "predict", "--model", "{self}", "--text", "hi")]
    [InlineData("--out", "train", "--dataset", "{cqa}", "--fraction", "0.01", "--steps", "1", "--out", "{missing}/model.zip")]
    [InlineData("--fractions", "experiment", "--fractions", "0", "--out", "{missing}")]
    [InlineData("--threads", "train", "--dataset", "{cqa}", "--threads", "-1", "--out", "{out}")]
    [InlineData("--threads", "evaluate", "--model", "{self}", "--dataset", "{cqa}", "--threads", "-2")]
    [InlineData("--epochs", "train", "--dataset", "{cqa}", "--steps", "2", "--epochs", "1", "--out", "{out}")]
    [InlineData("--epochs", "train", "--dataset", "{cqa}", "--epochs", "0", "--out", "{out}")]
    [InlineData("--eval-every", "train", "--dataset", "{cqa}", "--eval-every", "5", "--out", "{out}")]
    [InlineData("--annotated", "train", "--dataset", "{cqa}", "--split", "train", "--annotated", "{out}", "--out", "{out}")]
    [InlineData("--annotated", "train", "--dataset", "{cqa}", "--annotated", "{missing}/rows.jsonl", "--out", "{out}")]
    [InlineData("--annotated", "experiment", "--split", "valid", "--annotated", "{out}", "--out", "{missing}")]
    [InlineData("--annotated", "experiment", "--dataset", "{cqa}", "--annotated", "{missing}/rows.jsonl", "--out", "{missing}")]
    [InlineData("--annotated", "sweep", "--split", "valid", "--annotated", "{out}", "--out", "{missing}")]
    [InlineData("--annotated", "sweep", "--dataset", "{cqa}", "--annotated", "{missing}/rows.jsonl", "--out", "{missing}")]
    [InlineData("--methods", "experiment", "--methods", "fine-tuning,magic", "--out", "{missing}")]
    [InlineData("--fractions", "experiment", "--fractions", "0.5,2", "--out", "{missing}")]
    [InlineData("--seeds", "experiment", "--seeds", "1,x", "--out", "{missing}")]
    [InlineData("--recipe", "experiment", "--recipe", "gpu-ish", "--out", "{missing}")]
    [InlineData("--time", "sweep", "--time", "0", "--out", "{missing}")]
    [InlineData("--steps", "sweep", "--steps", "400,100", "--out", "{missing}")]
    [InlineData("'stepz'", "train", "--dataset", "{cqa}", "--stepz", "1", "--out", "{out}")]
    public void ABadOption_ExitsWithTwo_NamingTheOption(string option, params string[] args)
    {
        using var temp = new TempFolder();
        var expanded = args.Select(a => a
            .Replace("{cqa}", RepoPaths.Dataset("cqa"), StringComparison.Ordinal)
            .Replace("{missing}", Path.Combine(temp.Path, "no-such-folder"), StringComparison.Ordinal)
            .Replace("{self}", typeof(CommandRegistry).Assembly.Location, StringComparison.Ordinal)
            .Replace("{out}", Path.Combine(temp.Path, "model.zip"), StringComparison.Ordinal)).ToArray();

        var (code, error) = ConsoleCollection.RunEntryPoint(expanded);

        Assert.Equal(2, code);
        Assert.Contains(option, error);
        Assert.StartsWith("stepdistill: ", error);
    }

    /// <summary>The options train had before --method are refused, naming the method that trains as they did.</summary>
    [Theory]
    [InlineData("--mode standard --labels gold is --method fine-tuning", "--mode", "standard", "--labels", "gold")]
    [InlineData("--mode standard --labels teacher is --method distillation", "--mode", "standard", "--labels", "teacher")]
    [InlineData("--mode step-by-step --labels gold is --method step-by-step-gold", "--labels", "gold", "--mode", "step-by-step")]
    [InlineData("--mode single-task --labels teacher is --method single-task", "--mode=single-task", "--labels=teacher")]
    [InlineData("--mode step-by-step is --method step-by-step-teacher (teacher labels; the old default on rows without them: --method step-by-step-gold)", "--mode", "step-by-step")]
    [InlineData("--labels teacher is --method step-by-step-teacher", "--labels", "teacher")]
    [InlineData("--mode single-task --labels gold has no method (single-task learns the teacher's labels: --method single-task)", "--mode", "single-task", "--labels", "gold")]
    public void Train_mode_and_labels_name_the_method_that_replaces_them(string expected, params string[] old)
    {
        using var temp = new TempFolder();
        string[] args = ["train", "--dataset", RepoPaths.Dataset("cqa"), .. old, "--out", Path.Combine(temp.Path, "model.zip")];

        var (code, error) = ConsoleCollection.RunEntryPoint(args);

        Assert.Equal(2, code);
        Assert.StartsWith("stepdistill: train: --mode and --labels were replaced by --method (the names experiment --methods takes): ", error);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(temp.Path, "model.zip")));
    }
}
