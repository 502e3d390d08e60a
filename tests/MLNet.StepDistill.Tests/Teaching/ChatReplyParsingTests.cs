using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

/// <summary>
/// Replies written the way chat models write them (not the paper's few-shot layout), read by every family's parser:
/// the answer found in the usual phrasings, the rationale being the rest, hedges between two answers refused, and a
/// label without reasoning kept as label-only.
/// </summary>
public class ChatReplyParsingTests
{
    private static readonly TaskSchema Mail = new() { Family = TaskFamily.Classification, IdField = "id", InputFields = ["subject", "body"], Labels = ["spam", "ham"] };
    private static readonly TaskSchema Letters = new() { Family = TaskFamily.Classification, IdField = "id", InputFields = ["text"], Labels = ["A", "B"] };
    private static readonly TaskExample MailRow = new("m1", ["WIN NOW", "Claim your prize"], [], "spam");
    private static readonly TaskExample Beaver = new("q1", ["Where would you find a beaver?"], ["ocean", "desert", "wooded area", "zoo", "river mouth"], "wooded area");

    /// <summary>Fourteen phrasings of one answer with its reasoning: each gives the label and the reasoning, nothing else.</summary>
    public static TheoryData<string, string> SpamPhrasings => new()
    {
        { "The message promises a prize to a stranger. So the answer is spam.", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger. So the answer is: spam", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\n\n**Answer:** spam", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\n\n**Answer: Spam**", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\nFinal answer: SPAM.", "The message promises a prize to a stranger." },
        { "Label: spam\nReasoning: The message promises a prize to a stranger.", "The message promises a prize to a stranger." },
        { "**Label:** spam\n**Reasoning:** The message promises a prize to a stranger.", "The message promises a prize to a stranger." },
        { "```json\n{\"rationale\": \"The message promises a prize to a stranger.\", \"label\": \"spam\"}\n```", "The message promises a prize to a stranger." },
        { "{\"reasoning\": \"The message promises a prize to a stranger.\", \"answer\": \"Spam\"}", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger. Therefore, the answer is \"spam\".", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\n\nThe final answer is spam, because no one sends prizes unasked.", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\n\n### Answer\nspam", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\nthe answer is *spam*", "The message promises a prize to a stranger." },
        { "The message promises a prize to a stranger.\nPrediction: spam", "The message promises a prize to a stranger." },
    };

    [Theory]
    [MemberData(nameof(SpamPhrasings))]
    public void Chat_phrasings_of_an_answer_give_its_label_and_reasoning(string reply, string rationale)
    {
        var parsed = Mail.Family.CreateParser(Mail).Parse(reply, MailRow);

        Assert.True(parsed.IsOk, parsed.FailureReason);
        Assert.Equal("spam", parsed.Label);
        Assert.Equal(rationale, parsed.Rationale);
    }

    [Theory]
    [InlineData("The email asks for a meeting.\nSo the answer is: A", "A")]
    [InlineData("The email asks for a meeting.\n\n**Answer:** b", "B")]
    [InlineData("Final answer: (B)\n\nThe email asks for a meeting.", "B")]
    public void Single_letter_labels_are_read_in_any_case_and_layout(string reply, string label)
    {
        var parsed = Letters.Family.CreateParser(Letters).Parse(reply, new TaskExample("r", ["text"], [], null));

        Assert.True(parsed.IsOk, parsed.FailureReason);
        Assert.Equal(label, parsed.Label);
        Assert.Equal("The email asks for a meeting.", parsed.Rationale);
    }

    [Theory]
    [InlineData("It could go either way. So the answer is spam or ham.")]
    [InlineData("It could go either way.\n**Answer:** either spam or ham")]
    [InlineData("It could go either way.\nFinal answer: spam/ham")]
    [InlineData("{\"rationale\": \"It could go either way.\", \"label\": \"spam or ham\"}")]
    public void A_reply_that_names_two_labels_is_not_a_label(string reply)
    {
        var parsed = Mail.Family.CreateParser(Mail).Parse(reply, MailRow);

        Assert.Equal(ParseStatus.ParseFailed, parsed.Status);
        Assert.Equal(ParseFailure.TwoAnswers, parsed.Failure);
        Assert.Contains("names two answers", parsed.FailureReason);
        Assert.Null(parsed.Label);
    }

    [Theory]
    [InlineData("Beavers build dams in rivers and woods. So the answer is either (c) wooded area or (e) river mouth.")]
    [InlineData("Beavers build dams in rivers and woods.\n**Answer:** (c) or (e)")]
    [InlineData("Beavers build dams in rivers and woods. So the answer is wooded area or river mouth.")]
    public void A_multiple_choice_reply_that_hedges_between_two_choices_is_not_a_choice(string reply)
    {
        var parsed = TaskFamily.MultipleChoiceQa.CreateParser(CqaSchema).Parse(reply, Beaver);

        Assert.Equal(ParseFailure.TwoAnswers, parsed.Failure);
        Assert.Null(parsed.Label);
    }

    [Theory]
    [InlineData("Beavers live by rivers in forests.\nFinal answer: C", "wooded area")]
    [InlineData("Beavers live by rivers in forests.\n\n**Answer:** (c) wooded area", "wooded area")]
    [InlineData("Beavers live by rivers in forests. The answer is: Wooded Area.", "wooded area")]
    [InlineData("```json\n{\"rationale\": \"Beavers live by rivers in forests.\", \"answer\": \"wooded area\"}\n```", "wooded area")]
    public void Multiple_choice_chat_replies_name_their_choice(string reply, string choice)
    {
        var parsed = TaskFamily.MultipleChoiceQa.CreateParser(CqaSchema).Parse(reply, Beaver);

        Assert.True(parsed.IsOk, parsed.FailureReason);
        Assert.Equal(choice, parsed.Label);
        Assert.Equal("Beavers live by rivers in forests.", parsed.Rationale);
    }

    [Theory]
    [InlineData("He had 21 and gave away 15, so 21 - 15 = 6.\nFinal answer: (21 - 15)", "(21 - 15)")]
    [InlineData("He had 21 and gave away 15, so 21 - 15 = 6.\n**Answer:** 6", "6")]
    [InlineData("{\"rationale\": \"He had 21 and gave away 15, so 21 - 15 = 6.\", \"equation\": \"(21 - 15)\"}", "(21 - 15)")]
    public void Math_chat_replies_give_an_expression(string reply, string expression)
    {
        var schema = new TaskSchema { Family = TaskFamily.Math, IdField = "id", InputFields = ["question"] };
        var parsed = schema.Family.CreateParser(schema).Parse(reply, new TaskExample("s", ["q"], [], "( 21.0 - 15.0 )"));

        Assert.True(parsed.IsOk, parsed.FailureReason);
        Assert.Equal(expression, parsed.Label);
        Assert.True(TaskFamily.Math.SameAnswer(parsed.Label, "( 21.0 - 15.0 )"));
    }

    [Fact]
    public void Math_replies_that_offer_two_values_are_refused()
    {
        var parsed = TaskFamily.Math.CreateParser(new TaskSchema { Family = TaskFamily.Math, IdField = "id", InputFields = ["question"] })
            .Parse("Unclear. The answer is (21 - 15) or (21 + 15).", new TaskExample("s", ["q"], [], null));

        Assert.Equal(ParseFailure.TwoAnswers, parsed.Failure);
    }

    [Theory]
    [InlineData("spam")]
    [InlineData("**Spam**")]
    [InlineData("Answer: spam")]
    [InlineData("{\"label\": \"spam\"}")]
    public void A_label_without_reasoning_is_label_only(string reply)
    {
        var parsed = Mail.Family.CreateParser(Mail).Parse(reply, MailRow);

        Assert.Equal(ParseStatus.LabelOnly, parsed.Status);
        Assert.True(parsed.HasLabel);
        Assert.False(parsed.IsOk);
        Assert.Equal("spam", parsed.Label);
        Assert.Equal("", parsed.Rationale);
    }

    [Theory]
    [InlineData("The message promises a prize. So the answer is junk.", ParseFailure.InvalidLabel)]
    [InlineData("The message promises a prize, which is suspicious.", ParseFailure.NoAnswerMarker)]
    [InlineData("I think it is not spam at all, honestly, given everything I read in it.", ParseFailure.NoAnswerMarker)]
    [InlineData("The message promises a prize.\n**Answer:**", ParseFailure.NoLabel)]
    public void Replies_without_a_usable_answer_say_why(string reply, ParseFailure failure)
    {
        var parsed = Mail.Family.CreateParser(Mail).Parse(reply, MailRow);

        Assert.Equal(ParseStatus.ParseFailed, parsed.Status);
        Assert.Equal(failure, parsed.Failure);
        Assert.False(string.IsNullOrEmpty(parsed.FailureReason));
    }

    [Fact]
    public void The_papers_layout_still_reads_as_before()
    {
        var nli = new TaskSchema { Family = TaskFamily.Nli, IdField = "id", InputFields = ["premise", "hypothesis"], Labels = ["entailment", "neutral", "contradiction"] };
        var row = new TaskExample("n", ["p", "h"], [], "neutral");

        var anli = nli.Family.CreateParser(nli).Parse("A man is not a woman. So the answer is contradiction.\n\nPremise: next", row);
        var esnli = nli.Family.CreateParser(nli, new CompletionMarkers("Answer:", "Premise")).Parse(" The man may be tired.\nAnswer: neutral\n\nPremise: x", row);

        Assert.Equal(("A man is not a woman.", "contradiction"), (anli.Rationale, anli.Label));
        Assert.Equal(("The man may be tired.", "neutral"), (esnli.Rationale, esnli.Label));
    }

    private static TaskSchema CqaSchema => new() { Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices" };
}
