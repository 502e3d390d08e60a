using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// <see cref="ScoreAggregation.FirstToken"/>: accepted for a label set whose labels begin with different tokens, where the
/// class scores are the softmax of the first tokens' log-probabilities; refused, naming the option, where it cannot tell
/// candidates apart.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public class FirstTokenScoringTests
{
    [Fact]
    public void A_label_set_scores_by_the_first_tokens_and_the_scores_are_their_softmax()
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset("esnli");
        var rows = AnnotatedSplit.Read(ml, dataset, "valid").Take(24).ToArray();
        using var model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(Options(TrainingMethod.FineTuning, dataset.Schema.Labels!.ToArray()))
            .Fit(AnnotatedSplit.ToDataView(ml, rows));
        var inputs = rows.Take(5).Select(r => r.Input).ToArray();

        var answers = model.Predictor.Answer(inputs, null, withRationale: false);

        var student = (T5Student)model.Predictor.Student;
        var firstTokens = student.ScoreTargets(inputs.Select(i => TaskPrefixes.Predict + i).ToArray(),
            inputs.Select(_ => (IReadOnlyList<string>)dataset.Schema.Labels!.ToArray()).ToArray(), ScoreAggregation.FirstToken);
        for (var i = 0; i < inputs.Length; i++)
        {
            var max = firstTokens[i].Max();
            var total = firstTokens[i].Sum(v => Math.Exp(v - max));
            for (var c = 0; c < firstTokens[i].Length; c++)
            {
                Assert.Equal(Math.Exp(firstTokens[i][c] - max) / total, answers[i].Scores[c], 1e-5);
            }
        }
    }

    [Fact]
    public void Labels_that_begin_with_the_same_token_are_refused_naming_both()
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset("esnli");
        var rows = AnnotatedSplit.Read(ml, dataset, "valid").Take(8).ToArray();
        foreach (var row in rows)
        {
            row.Label = "neutral";
        }

        var ex = Assert.Throws<ArgumentException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(Options(TrainingMethod.FineTuning, ["neutral", "neutral ground"]))
            .Fit(AnnotatedSplit.ToDataView(ml, rows)));

        Assert.Contains("MultiTaskSeq2SeqTrainerOptions.ScoreAggregation = FirstToken", ex.Message);
        Assert.Contains("\"neutral\" and \"neutral ground\"", ex.Message);
    }

    [Fact]
    public void Multiple_choice_rows_are_refused()
    {
        var ml = new MLContext(seed: 1);
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
        options.ScoreAggregation = ScoreAggregation.FirstToken;

        var ex = Assert.Throws<ArgumentException>(() => ml.StepDistill().Trainers.MultiTaskSeq2Seq(options)
            .Fit(AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(8))));

        Assert.Contains("needs a fixed label set", ex.Message);
    }

    private static MultiTaskSeq2SeqTrainerOptions Options(TrainingMethod method, string[] labels) => new()
    {
        Method = method,
        Labels = labels,
        TokenizerPath = TrainingFixtures.TokenizerPath,
        MaxSteps = 2,
        BatchSize = 8,
        MaxInputLength = 48,
        MaxTargetLength = 8,
        Seed = 3,
        NumberOfThreads = 1,
        ScoreAggregation = ScoreAggregation.FirstToken,
    };
}
