using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class TaskFormatTests
{
    [Fact]
    public void Cqa_first_test_row_is_formatted_as_the_paper_does()
    {
        var cqa = TaskDataset.Open(RepoPaths.Dataset("cqa"));
        var row = cqa.ReadExamples("test")[0];

        Assert.Equal(
            "A beaver is know for building prowess, their supplies come from where?\nAnswer Choices:\n(a) british columbia\n(b) body of water\n(c) wooded area\n(d) pay debts\n(e) zoo",
            cqa.Manifest.Family.CreateFormat().FormatInput(row));
    }

    [Fact]
    public void Svamp_input_is_the_question_as_given()
    {
        var row = TaskDataset.Open(RepoPaths.Dataset("svamp")).ReadExamples("test")[0];

        Assert.Equal(
            "Paige was helping her mom plant flowers and together they planted some seeds. They put 10 seeds in each flower bed. If there are 45 flowerbeds\nHow many seeds did they plant?",
            TaskFamily.Math.CreateFormat().FormatInput(row));
    }

    [Fact]
    public void Nli_joins_premise_and_hypothesis_with_t5_eos_by_default()
    {
        var row = TaskDataset.Open(RepoPaths.Dataset("esnli")).ReadExamples("valid")[0];

        Assert.Equal(
            "Two women are embracing while holding to go packages.</s>The sisters are hugging goodbye while holding to go packages after just eating lunch.",
            TaskFamily.Nli.CreateFormat().FormatInput(row));
        Assert.Equal("p[SEP]h", new NliFormat("[SEP]").FormatInput(new TaskExample("x", ["p", "h"], [], null)));
    }

    [Fact]
    public void Classification_is_the_text_and_prefixes_are_the_papers()
    {
        Assert.Equal("Great film", TaskFamily.Classification.CreateFormat().FormatInput(new TaskExample("r", ["Great film"], [], "positive")));
        Assert.Equal("predict: ", TaskPrefixes.Predict);
        Assert.Equal("explain: ", TaskPrefixes.Explain);
    }

    [Fact]
    public void Multiple_choice_letters_follow_the_number_of_choices()
    {
        var text = new MultipleChoiceFormat().FormatInput(new TaskExample("q", ["Pick one"], ["x", "y", "z"], "y"));
        Assert.Equal("Pick one\nAnswer Choices:\n(a) x\n(b) y\n(c) z", text);
    }
}
