using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Tests.Teaching;
using Spectre.Console.Cli;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

public class AnnotateCommandTests
{
    [Theory]
    [InlineData("cqa", "test", 1221)]
    [InlineData("svamp", "test", 200)]
    [InlineData("anli1", "test", 1000)]
    [InlineData("esnli", "valid", 9842)]
    public async Task Json_summary_reaches_the_readme_floor(string name, string split, int rows)
    {
        var (floorAccuracy, maxNoLabel) = TeacherFloorTests.ReadmeFloor(name, split);

        using var json = await RunJsonAsync(new AnnotateCommand.Settings { Dataset = RepoPaths.Dataset(name), Split = split, Json = true });
        var root = json.RootElement;

        Assert.Equal(rows, root.GetProperty("rows").GetInt32());
        Assert.Equal(rows, root.GetProperty("annotated").GetInt32() + root.GetProperty("parseFailures").GetInt32());
        Assert.True(TeacherFloorTests.AtTablePrecision(root.GetProperty("teacherAccuracy").GetDouble()) >= floorAccuracy);
        Assert.True(root.GetProperty("noLabelFound").GetInt32() <= maxNoLabel);
        Assert.Equal("recorded:palm-540b", root.GetProperty("teacher").GetString());
    }

    [Fact]
    public async Task Out_writes_one_annotated_row_per_task_row()
    {
        using var temp = new TempFolder();
        var outFile = Path.Combine(temp.Path, "svamp.jsonl");

        await RunJsonAsync(new AnnotateCommand.Settings { Dataset = RepoPaths.Dataset("svamp"), Split = "test", RecordedName = "palm-540b", Json = true, Out = outFile });
        var lines = File.ReadAllLines(outFile);
        using var first = JsonDocument.Parse(lines[0]);

        Assert.Equal(200, lines.Length);
        Assert.Equal("svamp-test-0000", first.RootElement.GetProperty("id").GetString());
        Assert.Equal("(10 * 45)", first.RootElement.GetProperty("teacherLabel").GetString());
        Assert.Equal("ok", first.RootElement.GetProperty("status").GetString());
        Assert.True(first.RootElement.GetProperty("teacherCorrect").GetBoolean());
    }

    [Fact]
    public async Task Out_deletes_the_temporary_file_a_killed_write_left_and_keeps_a_live_writers()
    {
        using var temp = new TempFolder();
        var outFile = Path.Combine(temp.Path, "svamp.jsonl");
        string[] args = ["annotate", "--dataset", RepoPaths.Dataset("svamp"), "--split", "test", "--recorded-name", "palm-540b", "--out", outFile, "--json"];

        // A run killed while it wrote --out: its process is gone, its half-written temporary file is not.
        int killedPid;
        using (var killed = CliProcess.Start(args, new Dictionary<string, string>()))
        {
            await Task.Delay(300);
            killed.Kill(entireProcessTree: true);
            await killed.WaitForExitAsync();
            killedPid = killed.Id;
        }
        var left = temp.Write($".svamp.jsonl.{killedPid}.tmp", "{\"id\":\"svamp-test-0000\",\"input\":\"Dan");
        var live = temp.Write(".svamp.jsonl.1.tmp", "");   // process 1 is alive: its write may be going on

        using var json = await RunJsonAsync(new AnnotateCommand.Settings { Dataset = RepoPaths.Dataset("svamp"), Split = "test", RecordedName = "palm-540b", Json = true, Out = outFile });

        Assert.False(File.Exists(left), "the killed write's temporary file is still there");
        Assert.True(File.Exists(live), "a live process's temporary file was deleted");
        Assert.Equal(200, File.ReadLines(outFile).Count());
        Assert.Equal([".svamp.jsonl.1.tmp", "svamp.jsonl"], Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null, "test", "recorded", null, "--dataset is required")]
    [InlineData("cqa", null, "recorded", null, "--split is required")]
    [InlineData("cqa", "test", "gemini", null, "--teacher \"gemini\" is not available")]
    [InlineData("cqa", "test", "openai", null, "--teacher openai needs --endpoint")]
    [InlineData("cqa", "valid", "recorded", null, "no split \"valid\"")]
    [InlineData("cqa", "test", "recorded", "gpt-4", "no recorded teacher \"gpt-4\"")]
    [InlineData("nope", "test", "recorded", null, "dataset.json")]
    public async Task Bad_options_are_user_facing_errors(string? dataset, string? split, string teacher, string? recordedName, string message)
    {
        var settings = new AnnotateCommand.Settings
        {
            Dataset = dataset is null ? null : RepoPaths.Dataset(dataset), Split = split, Teacher = teacher, RecordedName = recordedName,
        };

        var ex = await Assert.ThrowsAsync<UserFacingException>(() => new AnnotateCommand(TextWriter.Null).RunAsync(settings, CancellationToken.None));

        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public async Task Runs_through_spectre_command_app_and_parses_its_options()
    {
        using var temp = new TempFolder();
        var outFile = Path.Combine(temp.Path, "anli.jsonl");
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.PropagateExceptions();
            CommandRegistry.Register(config);
        });

        var code = await app.RunAsync(["annotate", "--dataset", RepoPaths.Dataset("anli1"), "--split", "test", "--teacher", "recorded", "--recorded-name", "palm-540b", "--out", outFile]);

        Assert.Equal(0, code);
        Assert.Equal(1000, File.ReadLines(outFile).Count());
    }

    private static async Task<JsonDocument> RunJsonAsync(AnnotateCommand.Settings settings)
    {
        var output = new StringWriter();
        var code = await new AnnotateCommand(output).RunAsync(settings, CancellationToken.None);
        Assert.Equal(0, code);
        return JsonDocument.Parse(output.ToString());
    }
}
