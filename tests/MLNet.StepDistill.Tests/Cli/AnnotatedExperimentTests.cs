using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// The main job on your own data: a two-label classification dataset the test writes (CSV, no recorded teacher), its
/// train split annotated by a live OpenAI-compatible teacher (the loopback server) through <c>annotate --out</c>, then
/// <c>experiment --annotated</c> and <c>sweep --annotated</c> on that file. CPU-sized: a tiny student, two steps a run.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class AnnotatedExperimentTests
{
    private const int TrainRows = 24;

    private const string Key = "sk-annotated-experiment";

    /// <summary>Ticket numbers the teacher answers with the wrong label, and the one whose reply names no label.</summary>
    private static readonly int[] WrongTickets = [2, 9];

    private const int UnparsedTicket = 5;

    [Fact]
    public async Task Experiment_trains_on_the_annotated_file_records_it_in_results_json_and_refuses_to_resume_with_another()
    {
        using var temp = new TempFolder();
        var folder = WriteDataset(temp);
        var annotated = await AnnotateTrainAsync(temp, folder);
        // Every line stands alone: keep the rows the teacher answered (a user's filter; the pool is then not the split).
        var pool = temp.Write("pool.jsonl", string.Join('\n', File.ReadLines(annotated).Where(l => !l.Contains("\"status\":\"parse-failed\"", StringComparison.Ordinal))) + "\n");
        ExperimentCommand.Settings Settings(string file) => new()
        {
            Dataset = folder, Annotated = file, Methods = "fine-tuning,step-by-step-teacher", Fractions = "1", Seeds = "1", TestRows = 0,
            Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 12, Out = temp.File("experiment"), Json = true,
        };

        var output = new StringWriter();
        Assert.Equal(0, new ExperimentCommand(output).Execute(null!, Settings(pool), CancellationToken.None));
        using var results = JsonDocument.Parse(File.ReadAllText(temp.File("experiment/results.json")));
        var root = results.RootElement;
        var settings = root.GetProperty("settings");
        var runs = root.GetProperty("runs").EnumerateArray().ToArray();

        Assert.Equal(["fine-tuning", "step-by-step-teacher"], runs.Select(r => r.GetProperty("method").GetString()));
        Assert.All(runs, r => Assert.Equal((TrainRows - 1, 8, 2), (r.GetProperty("trainRows").GetInt32(), r.GetProperty("testRows").GetInt32(), r.GetProperty("steps").GetInt32())));
        Assert.Equal(pool, settings.GetProperty("annotatedRowsPath").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(pool))), settings.GetProperty("annotatedRowsSha256").GetString());
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("trainSplit").ValueKind);
        Assert.Equal(TrainRows - 1, settings.GetProperty("poolRows").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("teacher").GetProperty("accuracy").ValueKind);   // no recorded teacher for test
        var report = File.ReadAllText(temp.File("experiment/report.md"));
        Assert.Contains($"training pool: the annotated file `{pool}` ({TrainRows - 1} rows)", report);
        Assert.Contains("The teacher's accuracy on the test rows is unknown: the dataset has no recorded teacher completions for `test`", report);
        Assert.Contains($"The training pool is the annotated file `{pool}`: its teacher's tokens and cost are in its rows", report);

        // The same contents under another name resume (nothing trained again); other contents are refused, naming the option.
        var copy = temp.File("pool-copy.jsonl");
        File.Copy(pool, copy);
        var again = new StringWriter();
        Assert.Equal(0, new ExperimentCommand(again).Execute(null!, Settings(copy), CancellationToken.None));
        using (var resumed = JsonDocument.Parse(again.ToString()))
        {
            Assert.Equal(runs.Select(r => r.GetProperty("trainSeconds").GetDouble()),
                resumed.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("trainSeconds").GetDouble()));
        }

        var refused = Assert.Throws<UserFacingException>(() => new ExperimentCommand(TextWriter.Null).Execute(null!, Settings(annotated), CancellationToken.None));
        Assert.Contains("holds runs made with other settings: --annotated (results.json ", refused.Message);
        Assert.Contains($"this run {annotated}, SHA-256 {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(annotated)))})", refused.Message);
    }

    [Fact]
    public async Task The_file_annotate_writes_from_a_recorded_teacher_trains_exactly_as_the_split_it_came_from()
    {
        using var temp = new TempFolder();
        var folder = TrainRationaleSourcesTests.AnliSlice(temp, rows: 40);
        var file = temp.File("anli-valid.jsonl");
        var annotate = await new AnnotateCommand(TextWriter.Null).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = folder, Split = "valid", Json = true, Out = file,
        }, CancellationToken.None);
        ExperimentCommand.Settings Settings(string? split, string? annotated, string output) => new()
        {
            Dataset = folder, Split = split, Annotated = annotated, TestSplit = "valid", Methods = "distillation,step-by-step-teacher",
            Fractions = "0.5,1", Seeds = "1", TestRows = 8, Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 12, Out = temp.File(output), Json = true,
        };

        Assert.Equal(0, annotate);
        Assert.Equal(0, new ExperimentCommand(TextWriter.Null).Execute(null!, Settings("valid", null, "from-split"), CancellationToken.None));
        Assert.Equal(0, new ExperimentCommand(TextWriter.Null).Execute(null!, Settings(null, file, "from-file"), CancellationToken.None));
        using var fromSplit = JsonDocument.Parse(File.ReadAllText(temp.File("from-split/results.json")));
        using var fromFile = JsonDocument.Parse(File.ReadAllText(temp.File("from-file/results.json")));

        // The same rows, statuses, teacher labels and rationales in the same order: the same losses to the last bit.
        static IEnumerable<string> Runs(JsonDocument results) => results.RootElement.GetProperty("runs").EnumerateArray().Select(r =>
            $"{r.GetProperty("method").GetString()} {r.GetProperty("fraction").GetDouble()} {r.GetProperty("trainRows").GetInt32()} " +
            $"{r.GetProperty("firstLoss").GetDouble():R} {r.GetProperty("finalLoss").GetDouble():R} {r.GetProperty("accuracy").GetDouble():R}");
        Assert.Equal(4, Runs(fromFile).Count());
        Assert.Equal(Runs(fromSplit), Runs(fromFile));
        Assert.Equal("valid", fromSplit.RootElement.GetProperty("settings").GetProperty("trainSplit").GetString());
        Assert.Equal(file, fromFile.RootElement.GetProperty("settings").GetProperty("annotatedRowsPath").GetString());
        Assert.Equal(fromSplit.RootElement.GetProperty("teacher").GetProperty("accuracy").GetDouble(),
            fromFile.RootElement.GetProperty("teacher").GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task Sweep_trains_its_trials_on_the_annotated_file_and_scores_them_on_the_dataset_test_split()
    {
        using var temp = new TempFolder();
        var folder = WriteDataset(temp);
        var annotated = await AnnotateTrainAsync(temp, folder);

        var output = new StringWriter();
        var code = new SweepCommand(output).Execute(null!, new SweepCommand.Settings
        {
            Dataset = folder, Annotated = annotated, MaxTrials = 2, Steps = "2,2", ValidationRows = 4, TestRows = 6, Time = 600,
            Out = temp.File("sweep"), Json = true,
        }, CancellationToken.None);
        using var json = JsonDocument.Parse(output.ToString());
        var root = json.RootElement;

        Assert.Equal(0, code);
        Assert.Equal(2, root.GetProperty("trials").GetArrayLength());
        Assert.Equal((TrainRows - 4, 4, 6), (root.GetProperty("trainRows").GetInt32(), root.GetProperty("validationRows").GetInt32(), root.GetProperty("testRows").GetInt32()));
        Assert.All(root.GetProperty("trials").EnumerateArray(), t => Assert.Equal("completed", t.GetProperty("status").GetString()));
        Assert.True(File.Exists(temp.File("sweep/" + SweepCommand.ModelFileName)));
    }

    [Fact]
    public void Experiment_options_give_the_annotated_file_or_the_split_not_both()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new StepByStepExperiment(new Microsoft.ML.MLContext(1), new StepByStepExperimentOptions
        {
            AnnotatedRowsPath = "rows.jsonl", TrainSplit = "train",
        }));

        Assert.Equal(nameof(StepByStepExperimentOptions.AnnotatedRowsPath), error.ParamName);
        Assert.Contains("give the annotated file or the split, not both", error.Message);
    }

    /// <summary>
    /// Annotates the train split with the loopback teacher (<c>annotate --teacher openai --out</c>) and returns the file;
    /// checks that every line carries the format version and the way its rationale was obtained.
    /// </summary>
    private static async Task<string> AnnotateTrainAsync(TempFolder temp, string folder)
    {
        await using var server = await FakeChatCompletionsServer.StartAsync(Reply, new FakeServerOptions { ExpectedApiKey = Key });
        var file = temp.File("annotated.jsonl");
        var output = new StringWriter();
        var code = await new AnnotateCommand(output, name => name == "TEACHER_KEY" ? Key : null).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = folder, Split = "train", Teacher = "openai", Endpoint = server.BaseUri.ToString(), Model = "helpdesk-teacher",
            ApiKeyEnv = "TEACHER_KEY", Cache = temp.File("cache"), Json = true, Out = file,
        }, CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal(TrainRows, server.CompletionCount);
        var rows = AnnotatedRowsFile.Read(file).Rows;
        Assert.Equal(TrainRows, rows.Count);
        Assert.Equal([$"T{UnparsedTicket:00}"], rows.Where(r => r.Status == "parse-failed").Select(r => r.Id));
        Assert.Equal(WrongTickets.Select(t => $"T{t:00}"), rows.Where(r => r.Status == "ok" && r.TeacherCorrect == false).Select(r => r.Id));
        Assert.All(File.ReadLines(file), line => Assert.StartsWith("{\"v\":1,", line));
        Assert.All(rows, r => Assert.Equal(RationaleMode.TeacherLabel, r.Rationales));
        return file;
    }

    /// <summary>The teacher: explains and labels each ticket it finds in the prompt (two wrongly, one without a label).</summary>
    private static string? Reply(FakeChatRequest request)
    {
        var ticket = Enumerable.Range(0, TrainRows).FirstOrDefault(t => request.UserPrompt.Contains(Text(t), StringComparison.Ordinal), -1);
        if (ticket < 0)
        {
            return null;
        }

        if (ticket == UnparsedTicket)
        {
            return "This one is hard to say.";
        }

        var label = Label(ticket);
        if (WrongTickets.Contains(ticket))
        {
            label = label == "billing" ? "shipping" : "billing";
        }

        return label == "billing"
            ? "The customer writes about money taken from the account. So the answer is billing."
            : "The customer writes about a parcel that has not arrived. So the answer is shipping.";
    }

    private static string Label(int ticket) => ticket % 2 == 0 ? "billing" : "shipping";

    private static string Text(int ticket) => Label(ticket) == "billing"
        ? string.Create(CultureInfo.InvariantCulture, $"Ticket T{ticket:00}: I was charged twice for my order, please refund one payment.")
        : string.Create(CultureInfo.InvariantCulture, $"Ticket T{ticket:00}: My parcel has not arrived and the courier tracking shows no update.");

    /// <summary>A classification dataset with no recorded teacher: 24 train and 8 test rows as CSV.</summary>
    private static string WriteDataset(TempFolder temp)
    {
        string Csv(IEnumerable<int> tickets)
        {
            var csv = new StringBuilder("id,text,label\n");
            foreach (var t in tickets)
            {
                csv.Append(CultureInfo.InvariantCulture, $"T{t:00},\"{Text(t)}\",{Label(t)}\n");
            }

            return csv.ToString();
        }

        temp.Write("helpdesk/train.csv", Csv(Enumerable.Range(0, TrainRows)));
        temp.Write("helpdesk/test.csv", Csv(Enumerable.Range(TrainRows, 8)));
        temp.Write("helpdesk/dataset.json", """
            {
              "name": "helpdesk", "family": "classification", "idField": "id", "inputFields": ["text"], "targetField": "label",
              "labels": ["billing", "shipping"],
              "splits": { "train": "train.csv", "test": "test.csv" }
            }
            """);
        return temp.File("helpdesk");
    }
}
