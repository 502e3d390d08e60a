using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

public class CompletionParserTests
{
    private static readonly TaskExample Beaver = new("b", ["Where?"], ["british columbia", "body of water", "wooded area", "pay debts", "zoo"], "wooded area");
    private static readonly TaskExample Nli = new("n", ["p", "h"], [], "neutral");
    private static readonly string[] NliLabels = ["entailment", "neutral", "contradiction"];

    [Fact]
    public void Cqa_takes_the_choice_after_the_letter_and_cuts_the_invented_next_question()
    {
        const string completion = "Only wooded areas have supplies. So the answer is (c) wooded area.\n\nQ: What is best?\nAnswer Choices:\n(a) x\nA: So the answer is (a) x.";

        var parsed = new MultipleChoiceCompletionParser().Parse(completion, Beaver);

        Assert.Equal(ParsedCompletion.Ok("Only wooded areas have supplies.", "wooded area"), parsed);
    }

    [Fact]
    public void Cqa_maps_the_letter_when_the_text_is_not_a_choice_unless_told_not_to()
    {
        const string completion = "Beavers live by trees. So the answer is (c) woods.";

        Assert.Equal("wooded area", new MultipleChoiceCompletionParser().Parse(completion, Beaver).Label);
        var strict = new MultipleChoiceCompletionParser { MapLetterToChoice = false }.Parse(completion, Beaver);
        Assert.Equal(ParseFailure.InvalidLabel, strict.Failure);
        Assert.Equal("Beavers live by trees.", strict.Rationale);
    }

    [Fact]
    public void Cqa_accepts_a_choice_text_without_a_letter_case_insensitively()
    {
        Assert.Equal("zoo", new MultipleChoiceCompletionParser().Parse("Animals. So the answer is Zoo.", Beaver).Label);
    }

    [Theory]
    [InlineData("", ParseFailure.EmptyCompletion)]
    [InlineData("   \n", ParseFailure.EmptyCompletion)]
    [InlineData("I think it is (c) wooded area.", ParseFailure.NoAnswerMarker)]
    [InlineData("Reasons.\n\nQ: next? So the answer is (c) wooded area.", ParseFailure.NoAnswerMarker)]
    [InlineData("Reasons. So the answer is", ParseFailure.NoLabel)]
    [InlineData("Reasons. So the answer is one of these four.", ParseFailure.NoLabel)]
    [InlineData("Reasons. So the answer is (g) moon.", ParseFailure.InvalidLabel)]
    public void Cqa_malformed_completions_are_failures_not_exceptions(string completion, ParseFailure failure)
    {
        var parsed = new MultipleChoiceCompletionParser().Parse(completion, Beaver);

        Assert.Equal(ParseStatus.ParseFailed, parsed.Status);
        Assert.Equal(failure, parsed.Failure);
        Assert.Null(parsed.Label);
        Assert.False(string.IsNullOrEmpty(parsed.FailureReason));
    }

    [Fact]
    public void A_null_completion_is_a_failure()
    {
        Assert.Equal(ParseFailure.EmptyCompletion, new MathCompletionParser().Parse(null, Nli).Failure);
    }

    [Theory]
    [InlineData("10 - (3 + 6) = 1. The answer is (10 - (3 + 6)).\n\nQ: more", "(10 - (3 + 6))")]
    [InlineData("Half. The answer is (84 / 2) points (42).", "(84 / 2)")]
    [InlineData("Half. The answer is\n(84 / 2).", "(84 / 2)")]
    public void Svamp_takes_the_first_balanced_parenthesised_expression(string completion, string label)
    {
        var parsed = new MathCompletionParser().Parse(completion, Nli);

        Assert.True(parsed.IsOk, parsed.FailureReason);
        Assert.Equal(label, parsed.Label);
    }

    [Theory]
    [InlineData("Reasons. The answer is forty-two.", ParseFailure.NoLabel)]
    [InlineData("Reasons. The answer is ((415 - 309) - (41", ParseFailure.InvalidLabel)]
    [InlineData("Reasons. The answer is (23 + x).", ParseFailure.InvalidLabel)]
    [InlineData("Reasons. The answer is (14, 21).", ParseFailure.InvalidLabel)]
    [InlineData("Reasons. The answer is (4 / 0).", ParseFailure.InvalidLabel)]
    [InlineData("Reasons.\nQ: The answer is (4).", ParseFailure.NoAnswerMarker)]
    public void Svamp_malformed_answers_are_failures(string completion, ParseFailure failure)
    {
        var parsed = new MathCompletionParser().Parse(completion, Nli);

        Assert.Equal(failure, parsed.Failure);
        Assert.Null(parsed.Label);
    }

    [Fact]
    public void Anli_takes_the_word_after_the_marker_and_cuts_at_the_next_premise()
    {
        var parser = new LabelSetCompletionParser(CompletionMarkers.DefaultFor(TaskFamily.Nli), NliLabels);

        var parsed = parser.Parse("Oxford Street is in London. So the answer is contradiction.\n\nPremise: x\nHypothesis: y\nAnswer: So the answer is neutral.", Nli);

        Assert.Equal(ParsedCompletion.Ok("Oxford Street is in London.", "contradiction"), parsed);
    }

    [Fact]
    public void Esnli_reads_the_label_after_answer_colon()
    {
        var parser = new LabelSetCompletionParser(new CompletionMarkers("Answer:", "Premise"), NliLabels);

        var parsed = parser.Parse("The to go packages are not necessarily from lunch.\nAnswer: neutral\n\nPremise: Two women.\nHypothesis: x\nReasonings: y", Nli);

        Assert.Equal(ParsedCompletion.Ok("The to go packages are not necessarily from lunch.", "neutral"), parsed);
    }

    [Theory]
    [InlineData("Because. So the answer is maybe.", ParseFailure.InvalidLabel)]
    [InlineData("Because. So the answer is neutrality.", ParseFailure.InvalidLabel)]
    [InlineData("Because. So the answer is .", ParseFailure.NoLabel)]
    [InlineData("Because. Premise: So the answer is neutral.", ParseFailure.NoAnswerMarker)]
    public void Nli_labels_outside_the_closed_set_are_failures(string completion, ParseFailure failure)
    {
        var parser = new LabelSetCompletionParser(CompletionMarkers.DefaultFor(TaskFamily.Nli), NliLabels);

        Assert.Equal(failure, parser.Parse(completion, Nli).Failure);
    }

    [Fact]
    public void Nli_label_matching_ignores_case_and_returns_the_sets_spelling()
    {
        var parser = new LabelSetCompletionParser(CompletionMarkers.DefaultFor(TaskFamily.Nli), NliLabels);
        Assert.Equal("entailment", parser.Parse("Yes. So the answer is Entailment, clearly.", Nli).Label);
    }

    [Fact]
    public void Classification_without_a_label_set_takes_the_first_answer_line()
    {
        var schema = new TaskSchema { Family = TaskFamily.Classification, IdField = "id", InputFields = ["text"] };
        var parser = schema.Family.CreateParser(schema);
        Assert.Equal("very positive", parser.Parse("Loved it. So the answer is very positive.\nQ: next", Nli).Label);
    }
}
