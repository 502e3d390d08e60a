using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>experiment and sweep in process, CPU-sized: a tiny student, a few rows, two steps.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class ExperimentCommandsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void Experiment_refuses_a_parallel_count_below_one_naming_the_option(int parallel)
    {
        var settings = new ExperimentCommand.Settings { Dataset = RepoPaths.Dataset("esnli"), Parallel = parallel, Out = "unused" };
        var error = Assert.Throws<UserFacingException>(() => new ExperimentCommand(new StringWriter()).Execute(null!, settings, CancellationToken.None));
        Assert.Contains("--parallel", error.Message);
        Assert.Contains(parallel.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Fact]
    public void Sweep_refuses_a_parallel_count_below_one_naming_the_option()
    {
        var settings = new SweepCommand.Settings { Dataset = RepoPaths.Dataset("esnli"), Parallel = 0, Out = "unused" };
        var error = Assert.Throws<UserFacingException>(() => new SweepCommand(new StringWriter()).Execute(null!, settings, CancellationToken.None));
        Assert.Contains("--parallel", error.Message);
    }

    [Fact]
    public void Experiment_Json_WritesResultsReportAndPlot_AndARerunTrainsNothing()
    {
        using var temp = new TempFolder();
        ExperimentCommand.Settings Settings() => new()
        {
            Dataset = RepoPaths.Dataset("esnli"), Methods = "fine-tuning,step-by-step-gold", Fractions = "0.001", Seeds = "1", TestRows = 4,
            Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 8, Out = temp.Path, Json = true,
        };

        var output = new StringWriter();
        Assert.Equal(0, new ExperimentCommand(output).Execute(null!, Settings(), CancellationToken.None));
        using var json = JsonDocument.Parse(output.ToString());
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToArray();

        Assert.Equal(["fine-tuning", "step-by-step-gold"], runs.Select(r => r.GetProperty("method").GetString()));
        Assert.All(runs, r => Assert.Equal(4, r.GetProperty("testRows").GetInt32()));
        Assert.True(File.Exists(temp.File("report.md")));
        Assert.True(File.Exists(temp.File("accuracy-vs-data.png")));
        Assert.Contains("| step-by-step-gold | gold | 0.1% | 10 | 1 |", File.ReadAllText(temp.File("report.md")));

        var again = new StringWriter();
        Assert.Equal(0, new ExperimentCommand(again).Execute(null!, Settings(), CancellationToken.None));
        using var rerun = JsonDocument.Parse(again.ToString());
        Assert.Equal(runs.Select(r => r.GetProperty("trainSeconds").GetDouble()),
            rerun.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("trainSeconds").GetDouble()));
    }

    [Fact]
    public void Sweep_Json_WritesTheLeaderboardAndABestModelThatEvaluateLoads()
    {
        using var temp = new TempFolder();
        var output = new StringWriter();
        var code = new SweepCommand(output).Execute(null!, new SweepCommand.Settings
        {
            Dataset = RepoPaths.Dataset("esnli"), MaxTrials = 2, Steps = "2,2", ValidationRows = 4, TestRows = 4, Time = 600,
            Out = temp.Path, Json = true,
        }, CancellationToken.None);
        using var json = JsonDocument.Parse(output.ToString());

        Assert.Equal(0, code);
        Assert.Equal(2, json.RootElement.GetProperty("trials").GetArrayLength());
        Assert.True(File.Exists(temp.File("leaderboard.json")));
        Assert.Contains("| rank | trial | method |", File.ReadAllText(temp.File("leaderboard.md")));

        var evaluation = new StringWriter();
        Assert.Equal(0, new EvaluateCommand(evaluation).Execute(null!, new EvaluateCommand.Settings
        {
            Model = temp.File(SweepCommand.ModelFileName), Dataset = RepoPaths.Dataset("esnli"), Split = "test", Limit = 4, Json = true,
        }, CancellationToken.None));
        using var evaluated = JsonDocument.Parse(evaluation.ToString());
        Assert.Equal(4, evaluated.RootElement.GetProperty("scoredRows").GetInt32());
    }
}
