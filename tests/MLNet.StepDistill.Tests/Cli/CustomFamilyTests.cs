using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.TestServer;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// A task family defined outside the library (yes/no questions, with its own input format, prompt layout and answer
/// reading), registered once, runs through annotate (a loopback chat teacher), train and evaluate like a built-in one.
/// </summary>
public class CustomFamilyTests
{
    [Fact]
    public async Task A_family_of_your_own_runs_through_annotate_train_and_evaluate()
    {
        TaskFamily.Register(YesNoFamily.Instance);
        using var temp = new TempFolder();
        var dataset = YesNoDataset.Write(temp.Path);
        var annotated = Path.Combine(temp.Path, "annotated.jsonl");
        var model = Path.Combine(temp.Path, "model.zip");
        // The teacher answers in the family's own layout, "Verdict: yes" / "Verdict: nope".
        await using var server = await FakeChatCompletionsServer.StartAsync(r =>
            r.UserPrompt.EndsWith("Is fire hot?\nReasoning:", StringComparison.Ordinal) ? "Fire burns.\nVerdict: yep" : "It depends on the thing.\nVerdict: nope");

        var annotateOutput = new StringWriter();
        var annotateCode = await new AnnotateCommand(annotateOutput, _ => "test-key", TextWriter.Null).RunAsync(new AnnotateCommand.Settings
        {
            Dataset = dataset, Split = "train", Teacher = "openai", Endpoint = server.BaseUri.ToString(), Model = "m",
            Cache = Path.Combine(temp.Path, "cache"), Json = true, Out = annotated,
        }, CancellationToken.None);
        var trainOutput = new StringWriter();
        var trainCode = new TrainCommand(trainOutput).Execute(null!, new TrainCommand.Settings
        {
            Dataset = dataset, Annotated = annotated, Steps = 2, BatchSize = 4, MaxInput = 32, MaxTarget = 16, Out = model, Json = true,
        }, CancellationToken.None);
        var evaluateOutput = new StringWriter();
        var evaluateCode = new EvaluateCommand(evaluateOutput).Execute(null!, new EvaluateCommand.Settings
        {
            Model = model, Dataset = dataset, Split = "test", Json = true,
        }, CancellationToken.None);

        Assert.Equal((0, 0, 0), (annotateCode, trainCode, evaluateCode));
        using var annotation = JsonDocument.Parse(annotateOutput.ToString());
        Assert.Equal("yes-no", annotation.RootElement.GetProperty("family").GetString());
        Assert.Equal(YesNoDataset.Rows.Length, annotation.RootElement.GetProperty("annotated").GetInt32());
        Assert.Equal(1.0, annotation.RootElement.GetProperty("teacherAccuracy").GetDouble(), 6); // "yep"/"nope" read as yes/no
        Assert.StartsWith("Answer yes or no.\n\nQuestion: ", server.Requests[0].UserPrompt);
        Assert.All(File.ReadLines(annotated), line => Assert.Contains("\"input\":\"yes or no? ", line)); // the family's student input format
        using var evaluation = JsonDocument.Parse(evaluateOutput.ToString());
        Assert.Equal(YesNoDataset.Rows.Length, evaluation.RootElement.GetProperty("rows").GetInt32());
        Assert.Equal(YesNoDataset.Rows.Length, evaluation.RootElement.GetProperty("scoredRows").GetInt32());
        Assert.InRange(evaluation.RootElement.GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void A_family_name_is_taken_once_and_an_unknown_name_says_how_to_add_one()
    {
        TaskFamily.Register(YesNoFamily.Instance);
        TaskFamily.Register(YesNoFamily.Instance); // the same instance again: nothing happens

        Assert.Same(YesNoFamily.Instance, TaskFamily.Parse("Yes-No"));
        Assert.Contains("taken by", Assert.Throws<ArgumentException>(() => TaskFamily.Register(new YesNoFamily())).Message);
        Assert.Contains("TaskFamily.Register", Assert.Throws<ArgumentException>(() => TaskFamily.Parse("sentiment")).Message);
    }
}

/// <summary>Yes/no questions: one input field, the labels yes and no, and a teacher that may say "yep" or "nope".</summary>
public sealed class YesNoFamily : TaskFamily
{
    /// <summary>The one instance (families are compared by reference).</summary>
    public static readonly YesNoFamily Instance = new();

    public override string Name => "yes-no";

    public override TaskAnswerKind AnswerKind => TaskAnswerKind.Label;

    public override LabelSetRule LabelSet => LabelSetRule.Required;

    public override int? InputFieldCount => 1;

    public override CompletionMarkers DefaultMarkers => new("Verdict:", "Question:");

    public override IReadOnlyList<string> ExemplarInputKeys => ["question"];

    public override ITaskFormat CreateFormat(string endOfSequence = NliFormat.T5EndOfSequence) => new YesNoFormat();

    public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers) =>
        new("Question: {input}\nReasoning:", " {rationale}\n" + markers.AnswerMarker + " {label}") { Header = "Answer yes or no." };

    protected override ICompletionParser NewParser(TaskSchema schema, CompletionMarkers markers) => new YesNoParser(markers);

    private sealed class YesNoFormat : ITaskFormat
    {
        public string FormatInput(TaskExample example) => "yes or no? " + example.Text;
    }

    private sealed class YesNoParser(CompletionMarkers markers) : CompletionParser(markers)
    {
        protected override AnswerReading ReadAnswer(string answer, TaskExample example) => AnswerComparer.Normalize(CutExplanation(answer)) switch
        {
            "yes" or "yep" or "yeah" => AnswerReading.Of("yes"),
            "no" or "nope" => AnswerReading.Of("no"),
            var other => AnswerReading.Failed(ParseFailure.InvalidLabel, $"\"{other}\" is neither yes nor no"),
        };
    }
}

/// <summary>A handful of yes/no questions as JSONL with a dataset.json of family "yes-no".</summary>
internal static class YesNoDataset
{
    public static readonly (string Id, string Question, string Answer)[] Rows =
    [
        ("y1", "Is fire hot?", "yes"), ("y2", "Is ice hot?", "no"), ("y3", "Is a stone alive?", "no"), ("y4", "Is a cat a plant?", "no"),
    ];

    public static string Write(string folder)
    {
        var lines = Rows.Select(r => JsonSerializer.Serialize(new { id = r.Id, question = r.Question, answer = r.Answer }));
        File.WriteAllLines(Path.Combine(folder, "train.jsonl"), lines);
        File.WriteAllLines(Path.Combine(folder, "test.jsonl"), lines);
        File.WriteAllText(Path.Combine(folder, "dataset.json"), """
            {"name": "yes-no-questions", "family": "yes-no", "idField": "id", "inputFields": ["question"], "targetField": "answer",
             "labels": ["yes", "no"], "splits": {"train": "train.jsonl", "test": "test.jsonl"}}
            """);
        return folder;
    }
}
