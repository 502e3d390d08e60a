using System.Text.Json;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

public class PromptTests
{
    [Fact]
    public void Cqa_prompt_is_wei_et_al_exemplars_then_the_question_ending_at_the_answer()
    {
        var cqa = RecordedSplit.Open("cqa", "test");
        var row = cqa.Examples[0];

        var prompt = RationalePrompt.ForDataset(cqa.Dataset.Manifest).Build(row);

        Assert.Null(prompt.System);
        Assert.Equal(row.Id, prompt.RowId);
        Assert.StartsWith(
            "Q: What do people use to absorb extra ink from a fountain pen?\nAnswer Choices:\n(a) shirt pocket\n(b) calligrapher's hand\n(c) inkwell\n(d) desk drawer\n(e) blotter\n"
            + "A: The answer must be an item that can absorb ink. Of the above choices, only blotters are used to absorb ink. So the answer is (e) blotter.\n\n"
            + "Q: What home entertainment equipment requires cable?\n", prompt.User);
        Assert.EndsWith("\n\nQ: A beaver is know for building prowess, their supplies come from where?\nAnswer Choices:\n(a) british columbia\n(b) body of water\n(c) wooded area\n(d) pay debts\n(e) zoo\nA:", prompt.User);
        Assert.Equal(7 + 1, prompt.User.Split("\nA:").Length - 1);
    }

    [Theory]
    [InlineData("svamp", "test", "\nA:", 8)]
    [InlineData("anli1", "test", "\nAnswer:", 3)]
    [InlineData("esnli", "test", "\nReasonings:", 3)]
    public void Each_family_prompt_ends_where_the_completion_begins(string name, string split, string end, int exemplars)
    {
        var data = RecordedSplit.Open(name, split);
        var row = data.Examples[0];

        var prompt = RationalePrompt.ForDataset(data.Dataset.Manifest);
        var user = prompt.Build(row).User;

        Assert.Equal(exemplars, prompt.Exemplars.Count);
        Assert.EndsWith(row.Inputs[^1] + end, user);
        Assert.Equal(exemplars + 1, user.Split(end).Length - 1);
    }

    [Theory]
    [InlineData("cqa", "test")]
    [InlineData("svamp", "test")]
    [InlineData("anli1", "test")]
    [InlineData("esnli", "test")]
    public void Every_default_exemplar_answer_parses_back_to_its_label_with_the_family_rules(string name, string split)
    {
        var manifest = RecordedSplit.Open(name, split).Dataset.Manifest;
        var prompt = RationalePrompt.ForDataset(manifest);
        var parser = manifest.Family.CreateParser(manifest.Schema, manifest.Completion);

        Assert.All(prompt.Exemplars, exemplar =>
        {
            var parsed = parser.Parse(prompt.Template.RenderAnswer(exemplar), new TaskExample("x", exemplar.Inputs, exemplar.Choices, exemplar.Label));
            Assert.True(parsed.IsOk, parsed.FailureReason);
            Assert.Equal(exemplar.Rationale, parsed.Rationale);
            Assert.True(AnswerComparer.Same(manifest.Family, parsed.Label, exemplar.Label), $"{parsed.Label} vs {exemplar.Label}");
        });
    }

    [Theory]
    [InlineData("anli.json", "anli1")]
    [InlineData("esnli.json", "esnli")]
    public void Our_nli_exemplars_are_shipped_validation_rows_with_their_gold_labels(string file, string dataset)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "MLNet.StepDistill.Core", "Tasks", "Prompts", file)));
        var valid = RecordedSplit.Open(dataset, "valid");

        Assert.Contains("MLNet.StepDistill's own", doc.RootElement.GetProperty("source").GetString());
        Assert.Equal(["contradiction", "entailment", "neutral"], doc.RootElement.GetProperty("exemplars").EnumerateArray().Select(e => e.GetProperty("label").GetString()!).Order());
        foreach (var exemplar in doc.RootElement.GetProperty("exemplars").EnumerateArray())
        {
            var row = valid.ById[exemplar.GetProperty("id").GetString()!];
            Assert.Equal(row.Inputs, [exemplar.GetProperty("premise").GetString()!, exemplar.GetProperty("hypothesis").GetString()!]);
            Assert.Equal(row.Target, exemplar.GetProperty("label").GetString());
        }
    }

    [Fact]
    public void User_templates_and_exemplar_files_are_used_and_their_mistakes_are_named()
    {
        using var temp = new TempFolder();
        var file = temp.Write("mine.json", """{"exemplars": [{"text": "I loved it", "rationale": "Loving is positive.", "label": "positive"}]}""");
        var broken = temp.Write("broken.json", """{"exemplars": [{"text": "I loved it", "label": "positive"}]}""");
        var template = new PromptTemplate("Review: {input1}\nVerdict:", " {rationale} So the answer is {label}.") { System = "You grade reviews.", Header = "Grade these." };
        var schema = new TaskSchema { Family = TaskFamily.Classification, IdField = "id", InputFields = ["review"] };

        var prompt = new RationalePrompt(template, ExemplarFile.Read(file, schema))
            .Build(new TaskExample("r1", ["Awful {label} food"], [], null));

        Assert.Equal("You grade reviews.", prompt.System);
        Assert.Equal("Grade these.\n\nReview: I loved it\nVerdict: Loving is positive. So the answer is positive.\n\nReview: Awful {label} food\nVerdict:", prompt.User);
        Assert.Contains("{inputs}", Assert.Throws<ArgumentException>(() => new PromptTemplate("Q: {inputs}", " {rationale} {label}")).Message);
        Assert.Contains("{rationale}", Assert.Throws<ArgumentException>(() => new PromptTemplate("Q: {input}", " {label}")).Message);
        var error = Assert.Throws<DatasetFormatException>(() => ExemplarFile.Read(broken, schema));
        Assert.Contains("exemplars[0].rationale", error.Message);
        Assert.Contains("broken.json", error.Message);
    }
}
