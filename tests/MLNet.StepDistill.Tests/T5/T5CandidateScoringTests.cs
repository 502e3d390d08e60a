using MLNet.StepDistill.T5;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>
/// The shared-first-position candidate scorer against the scorer it replaced (encoder output repeated per candidate, a
/// full decoder pass per pair) and against Hugging Face's logits in the fixtures.
/// </summary>
public class T5CandidateScoringTests
{
    public static TheoryData<string> ModelFolders => T5Fixtures.ModelNames();

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Shared_prefix_scores_equal_the_repeated_encoder_scores_for_labels_of_mixed_length(string name)
    {
        using var model = T5ParityTests.Load(name);
        foreach (var testCase in T5ParityTests.Cases(name))
        {
            using var scope = NewDisposeScope();
            var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
            var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
            var candidates = tensor(new long[] { 12, 7, 1, -100, 40, 1, -100, -100, 5, 6, 9, 1, 1, -100, -100, -100 }, 4, 4);
            AssertSameScores(model.ScoreCandidatesByRepeating(inputs, mask, candidates), model.ScoreCandidates(inputs, mask, candidates));
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Single_token_labels_score_the_same_through_the_two_step_fast_path(string name)
    {
        using var model = T5ParityTests.Load(name);
        var testCase = T5ParityTests.Cases(name).Last();
        using var scope = NewDisposeScope();
        var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
        var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
        var candidates = tensor(new long[] { 12, 1, 40, 1, 5, 1 }, 3, 2);
        var scores = model.ScoreCandidates(inputs, mask, candidates);
        AssertSameScores(model.ScoreCandidatesByRepeating(inputs, mask, candidates), scores);
        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(2, scores[0, c].TokenCount));
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Per_row_candidates_reproduce_the_hugging_face_log_likelihood_of_each_label(string name)
    {
        using var model = T5ParityTests.Load(name);
        foreach (var testCase in T5ParityTests.Cases(name))
        {
            using var scope = NewDisposeScope();
            var labels = T5Fixtures.LongRows(testCase.GetProperty("labels"));
            var (logits, shape) = T5Fixtures.Flatten(testCase.GetProperty("expected").GetProperty("logits"));
            var (length, vocab) = ((int)shape[1], (int)shape[2]);

            // Row i's candidates: its own label first, then the other row's label (padded alike).
            var rows = labels.Length;
            var ids = new long[rows * rows * length];
            for (var i = 0; i < rows; i++)
            {
                for (var c = 0; c < rows; c++)
                {
                    labels[(i + c) % rows].CopyTo(ids, (i * rows + c) * length);
                }
            }

            var scores = model.ScoreCandidatesPerRow(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                tensor(ids, rows, rows, length));
            for (var i = 0; i < rows; i++)
            {
                // Hugging Face's log-likelihood of row i's label: log softmax of its logits at each labelled position.
                double expected = 0;
                for (var t = 0; t < length; t++)
                {
                    if (labels[i][t] == -100)
                    {
                        continue;
                    }

                    var row = logits.AsSpan((i * length + t) * vocab, vocab);
                    var max = row.ToArray().Max();
                    var logSum = Math.Log(row.ToArray().Sum(v => Math.Exp(v - max))) + max;
                    expected += row[(int)labels[i][t]] - logSum;
                }

                Assert.Equal(labels[i].Count(id => id != -100), scores[i, 0].TokenCount);
                Assert.True(Math.Abs(scores[i, 0].LogLikelihood - expected) <= 1e-4 * (1 + Math.Abs(expected)),
                    $"{name} row {i}: {scores[i, 0].LogLikelihood} vs HF {expected}");
            }
        }
    }

    [Fact]
    public void A_candidate_that_is_all_padding_scores_zero_over_zero_tokens()
    {
        using var model = T5ParityTests.Load("t5v1_relu");
        var testCase = T5ParityTests.Cases("t5v1_relu").First();
        using var scope = NewDisposeScope();
        var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
        var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
        var candidates = tensor(new long[] { 12, 7, 1, -100, -100, -100, 40, 1, -100, 5, 6, 1 }, 2, 2, 3);
        var scores = model.ScoreCandidatesPerRow(inputs, mask, candidates);
        Assert.Equal(new T5TargetScore(0, 0), scores[0, 1]);
        var alone = model.ScoreCandidatesByRepeating(inputs[..1], mask[..1], tensor(new long[] { 12, 7, 1 }, 1, 3));
        Assert.Equal(alone[0, 0].LogLikelihood, scores[0, 0].LogLikelihood, 1e-5);
    }

    private static void AssertSameScores(T5TargetScore[,] expected, T5TargetScore[,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        for (var i = 0; i < expected.GetLength(0); i++)
        {
            for (var c = 0; c < expected.GetLength(1); c++)
            {
                Assert.Equal(expected[i, c].TokenCount, actual[i, c].TokenCount);
                Assert.True(Math.Abs(expected[i, c].LogLikelihood - actual[i, c].LogLikelihood) <= 1e-5 * (1 + Math.Abs(expected[i, c].LogLikelihood)),
                    $"[{i}, {c}]: {actual[i, c].LogLikelihood} vs {expected[i, c].LogLikelihood}");
            }
        }
    }
}
