using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using Xunit;

namespace MLNet.StepDistill.Tests.Teaching;

public class AnnotationSummaryTests
{
    [Fact]
    public void Counts_rows_failures_and_accuracy_with_failures_as_wrong()
    {
        var annotator = new CompletionAnnotator(TaskFamily.Nli, new LabelSetCompletionParser(CompletionMarkers.DefaultFor(TaskFamily.Nli), ["entailment", "neutral", "contradiction"]));
        var rows = new[]
        {
            annotator.Annotate(new TaskExample("1", ["p", "h"], [], "neutral"), "R. So the answer is neutral."),
            annotator.Annotate(new TaskExample("2", ["p", "h"], [], "neutral"), "R. So the answer is entailment."),
            annotator.Annotate(new TaskExample("3", ["p", "h"], [], "neutral"), "R without an answer."),
            annotator.Annotate(new TaskExample("4", ["p", "h"], [], "neutral"), "R. So the answer is perhaps."),
            annotator.Annotate(new TaskExample("5", ["p", "h"], [], null), "R. So the answer is neutral."),
        };

        var summary = AnnotationSummary.Compute(rows);

        Assert.Equal(new AnnotationSummary(Rows: 5, Annotated: 3, ParseFailures: 2, NoLabelFound: 1, RowsWithGold: 4, TeacherCorrect: 1, TeacherAccuracy: 0.25), summary);
        Assert.Null(rows[4].TeacherCorrect);
        Assert.False(rows[2].TeacherCorrect);
    }

    [Fact]
    public void Without_gold_there_is_no_accuracy()
    {
        Assert.Null(AnnotationSummary.Compute([]).TeacherAccuracy);
    }
}
