using System.Text.Json;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>The student scores a whole batch at once, with the numbers of scoring each row on its own.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class BatchedScoringTests
{
    private static readonly string[] Inputs =
    [
        "predict: premise: A man plays a guitar on a stage. hypothesis: A man performs music.",
        "predict: Where would you keep milk cold?",
        "predict: premise: Two dogs run. hypothesis: Cats sleep.",
    ];

    private static readonly IReadOnlyList<string>[] Candidates =
    [
        ["entailment", "neutral", "contradiction"],
        ["fridge", "kitchen cupboard", "a car parked in the sun", "bed"],
        [],
    ];

    [Fact]
    public void A_batch_scores_like_each_row_alone_and_mean_is_the_sum_over_the_token_count()
    {
        using var student = TinyStudent();
        var batch = student.ScoreTargets(Inputs, Candidates);
        var mean = student.ScoreTargets(Inputs, Candidates, ScoreAggregation.Mean);
        var tokenizer = student.Model.Tokenizer!;
        for (var i = 0; i < Inputs.Length; i++)
        {
            var alone = student.ScoreTargets([Inputs[i]], [Candidates[i]]);
            Assert.Equal(Candidates[i].Count, batch[i].Length);
            for (var c = 0; c < Candidates[i].Count; c++)
            {
                Assert.Equal(alone[0][c], batch[i][c], 1e-5);
                var tokens = tokenizer.Encode(Candidates[i][c]).Length;
                Assert.Equal(batch[i][c] / tokens, mean[i][c], 1e-5);
            }
        }

        Assert.NotEqual(batch[1][0], batch[1][1]);
    }

    [Fact]
    public void First_token_scores_are_the_first_decoder_steps_log_softmax_at_each_candidates_first_token()
    {
        using var student = TinyStudent();
        var scores = student.ScoreTargets(Inputs, Candidates, ScoreAggregation.FirstToken);
        var tokenizer = student.Model.Tokenizer!;
        for (var i = 0; i < Inputs.Length; i++)
        {
            // Reference: one teacher-forced decoder position (the start token) through Forward, log-softmaxed here.
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var source = tokenizer.EncodeBatch([Inputs[i]], student.MaxInputLength);
            var start = zeros(1, 1, dtype: ScalarType.Int64);
            var logits = student.Model.Forward(source.InputIds, source.AttentionMask, decoderInputIds: start).Logits[0, 0].data<float>().ToArray();
            var max = logits.Max();
            var logSum = Math.Log(logits.Sum(v => Math.Exp(v - max))) + max;
            Assert.Equal(Candidates[i].Count, scores[i].Length);
            for (var c = 0; c < Candidates[i].Count; c++)
            {
                var first = tokenizer.Encode(Candidates[i][c])[0];
                Assert.Equal(logits[first] - logSum, scores[i][c], 1e-4);
            }
        }
    }

    [Fact]
    public void A_small_logit_budget_scores_in_chunks_with_the_same_numbers()
    {
        using var student = TinyStudent();
        var whole = student.ScoreTargets(Inputs, Candidates);
        var chunked = new T5Student(student.Model, student.MaxInputLength, student.MaxTargetLength) { ScoringLogitBudget = 1 }; // shares (and does not own) the model
        var parts = chunked.ScoreTargets(Inputs, Candidates);
        for (var i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(whole[i].Length, parts[i].Length);
            for (var c = 0; c < whole[i].Length; c++)
            {
                Assert.Equal(whole[i][c], parts[i][c], 1e-5);
            }
        }
    }

    [Fact]
    public void Candidate_labels_are_tokenised_once_per_student()
    {
        using var student = TinyStudent();
        student.ScoreTargets(Inputs, Candidates);
        var held = student.CandidateTokens.Count;
        Assert.Equal(7, held);
        var first = student.CandidateTokens.Get("neutral");
        student.ScoreTargets(Inputs, Candidates);
        Assert.Equal(held, student.CandidateTokens.Count);
        Assert.Same(first, student.CandidateTokens.Get("neutral"));
    }

    [Fact]
    public void A_head_saved_before_score_aggregation_existed_scores_by_the_sum()
    {
        var old = StudentAnswerSpecJson.Read(JsonDocument.Parse("""{"format_version":2,"mode":1,"answer_kind":0,"labels":["yes","no"]}""").RootElement);
        Assert.Equal(ScoreAggregation.Sum, old.ScoreAggregation);
        var mean = new StudentAnswerSpec { ScoreAggregation = ScoreAggregation.Mean };
        Assert.Equal(ScoreAggregation.Mean, StudentAnswerSpecJson.Read(JsonDocument.Parse(mean.ToJson()).RootElement).ScoreAggregation);
    }

    private static T5Student TinyStudent()
    {
        var tokenizer = T5Tokenizer.FromFile(TrainingFixtures.TokenizerPath);
        manual_seed(11);
        var model = new T5ForConditionalGeneration(T5Presets.Get("tiny", tokenizer.VocabSize), tokenizer);
        model.eval();
        return new T5Student(model, maxInputLength: 64, maxTargetLength: 16);
    }
}
