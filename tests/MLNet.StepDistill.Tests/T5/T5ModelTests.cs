using MLNet.StepDistill.T5;
using MLNet.StepDistill.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>Scoring, cache-free generation, training support and precision settings of the T5 model.</summary>
public class T5ModelTests
{
    public static TheoryData<string> ModelFolders => T5Fixtures.ModelNames();

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Target_scores_add_up_to_minus_the_hugging_face_loss_times_the_token_count(string name)
    {
        using var model = T5ParityTests.Load(name);
        foreach (var testCase in T5ParityTests.Cases(name))
        {
            using var scope = NewDisposeScope();
            var labels = T5Fixtures.LongRows(testCase.GetProperty("labels"));
            var scores = model.ScoreTargets(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                T5Fixtures.LongTensor(testCase.GetProperty("labels")));

            Assert.Equal(labels.Select(row => row.Count(id => id != -100)).ToArray(), scores.Select(s => s.TokenCount).ToArray());
            var tokens = scores.Sum(s => s.TokenCount);
            var expected = -testCase.GetProperty("expected").GetProperty("loss").GetDouble() * tokens;
            var actual = scores.Sum(s => (double)s.LogLikelihood);
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), $"sum of log-likelihoods {actual} vs -loss x tokens {expected}");
        }
    }

    [Fact]
    public void Candidate_scores_equal_scoring_each_pair_on_its_own()
    {
        using var model = T5ParityTests.Load("t5v11_gated");
        var testCase = T5ParityTests.Cases("t5v11_gated").First();
        using var scope = NewDisposeScope();
        var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
        var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
        var candidates = tensor(new long[] { 12, 7, 1, -100, 40, 1, -100, -100, 5, 6, 9, 1 }, 3, 4);
        var all = model.ScoreCandidates(inputs, mask, candidates);
        for (var c = 0; c < 3; c++)
        {
            var single = model.ScoreTargets(inputs, mask, candidates[c].unsqueeze(0).repeat(2, 1));
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(single[i].TokenCount, all[i, c].TokenCount);
                Assert.Equal(single[i].LogLikelihood, all[i, c].LogLikelihood, 4);
            }
        }

        Assert.Equal([3, 2, 4], Enumerable.Range(0, 3).Select(c => all[0, c].TokenCount).ToArray());
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Generation_without_the_cache_gives_the_hugging_face_sequences_too(string name)
    {
        using var model = T5ParityTests.Load(name);
        foreach (var testCase in T5ParityTests.Cases(name))
        {
            using var scope = NewDisposeScope();
            var expected = testCase.GetProperty("expected");
            var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
            var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
            var greedy = model.Generate(inputs, mask, new T5GenerationOptions { MaxNewTokens = 12, UseCache = false });
            var beam = model.Generate(inputs, mask, new T5GenerationOptions { MaxNewTokens = 12, NumBeams = 3, UseCache = false });
            Assert.Equal(T5Fixtures.LongRows(expected.GetProperty("generate_greedy").GetProperty("sequences")), greedy.Sequences);
            Assert.Equal(T5Fixtures.LongRows(expected.GetProperty("generate_beam3").GetProperty("sequences")), beam.Sequences);
        }
    }

    [Fact]
    public void AdamW_steps_on_the_loss_lower_it_and_reach_every_parameter()
    {
        using var model = T5ParityTests.Load("t5v1_relu");
        model.train();
        var testCase = T5ParityTests.Cases("t5v1_relu").First();
        var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
        var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
        var labels = T5Fixtures.LongTensor(testCase.GetProperty("labels"));
        using var optimizer = optim.AdamW(model.parameters(), lr: 3e-3);
        var losses = new List<float>();
        for (var step = 0; step < 15; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            using var output = model.Forward(inputs, mask, labels: labels);
            output.Loss!.backward();
            if (step == 0)
            {
                var untouched = model.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0).Select(p => p.name).ToList();
                Assert.Empty(untouched);
            }

            optimizer.step();
            losses.Add(output.Loss.item<float>());
        }

        Assert.True(losses[^1] < 0.75f * losses[0], $"loss went {losses[0]} -> {losses[^1]}");
    }

    [Fact]
    public void Dropout_is_on_in_train_mode_and_off_in_eval_mode()
    {
        manual_seed(7);
        using var model = TinyModelWithDropout();
        using var scope = NewDisposeScope();
        var (inputs, mask, decoderInputs) = ShortBatch();

        model.train();
        var first = model.Forward(inputs, mask, decoderInputs).Logits.data<float>().ToArray();
        var second = model.Forward(inputs, mask, decoderInputs).Logits.data<float>().ToArray();
        Assert.NotEqual(first, second);

        model.eval();
        first = model.Forward(inputs, mask, decoderInputs).Logits.data<float>().ToArray();
        second = model.Forward(inputs, mask, decoderInputs).Logits.data<float>().ToArray();
        Assert.Equal(first, second);
    }

    [Fact]
    public void T5_dropout_on_the_cpu_keeps_or_zeroes_each_element_by_the_mask_of_one_key_drawn_from_its_generator()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        using var replay = new Generator(11);
        var x = randn(3, 7, 5, generator: new Generator(5));
        using var dropout = new T5Dropout(0.25) { Generator = generator };
        dropout.train();
        var actual = dropout.forward(x).data<float>().ToArray();

        // The key is the generator's next randint(0, 2^63 - 1); the mask is DropoutMask's for that key.
        var key = (ulong)randint(0, long.MaxValue, [1], dtype: int64, generator: replay).item<long>();
        var mask = new float[x.numel()];
        DropoutMask.Fill(mask, key, 0.75, 1 / 0.75f);
        var values = x.data<float>().ToArray();
        Assert.Equal(values.Select((v, i) => v * mask[i]).ToArray(), actual);   // bit for bit
        Assert.Contains(0f, actual);                                           // the mask dropped something
        Assert.Contains(1 / 0.75f, mask);                                      // and kept something

        // One draw per mask: the module's generator is where the replay is, so the next masks match too.
        Assert.Equal(
            randint(0, long.MaxValue, [4], dtype: int64, generator: replay).data<long>().ToArray(),
            randint(0, long.MaxValue, [4], dtype: int64, generator: generator).data<long>().ToArray());

        dropout.eval();
        Assert.Equal(values, dropout.forward(x).data<float>().ToArray());
    }

    [Fact]
    public void T5_dropout_passes_the_gradient_through_the_kept_elements_scaled_and_stops_it_at_the_dropped_ones()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var x = randn(64, 32, generator: new Generator(4)).requires_grad_();
        using var dropout = new T5Dropout(0.5) { Generator = generator };
        dropout.train();
        var y = dropout.forward(x);
        y.sum().backward();
        var output = y.detach().data<float>().ToArray();
        var input = x.detach().data<float>().ToArray();
        var gradient = x.grad!.data<float>().ToArray();
        for (var i = 0; i < input.Length; i++)
        {
            Assert.Equal(output[i] == 0 && input[i] != 0 ? 0f : 2f, gradient[i]);
        }

        Assert.InRange(gradient.Count(g => g == 0), 1, input.Length - 1);
    }

    [Fact]
    public void T5_dropout_in_bfloat16_on_the_cpu_drops_the_same_elements_as_in_float32()
    {
        using var scope = NewDisposeScope();
        var x = randn(16, 8, generator: new Generator(9));
        using var dropout = new T5Dropout(0.3) { Generator = new Generator(21) };
        dropout.train();
        var single = dropout.forward(x);
        dropout.Generator = new Generator(21);
        var half = dropout.forward(x.to(bfloat16));
        Assert.Equal(ScalarType.BFloat16, half.dtype);
        Assert.Equal(single.eq(0).data<bool>().ToArray(), half.eq(0).data<bool>().ToArray());
    }

    [Fact]
    public void A_model_with_a_dropout_generator_draws_every_mask_from_it_not_from_the_global_generator()
    {
        using var model = TinyModelWithDropout();
        using var scope = NewDisposeScope();
        var (inputs, mask, decoderInputs) = ShortBatch();
        model.train();

        float[] LogitsFrom(long seed, long globalSeed)
        {
            using var generator = new Generator((ulong)seed);
            model.DropoutGenerator = generator;
            lock (MultiTaskSeq2SeqTrainer.TorchRandomGate)
            {
                manual_seed(globalSeed);   // were any dropout drawing from the global generator, this would change its mask
            }

            var logits = model.Forward(inputs, mask, decoderInputs).Logits.data<float>().ToArray();
            model.DropoutGenerator = null;
            return logits;
        }

        Assert.Equal(LogitsFrom(3, globalSeed: 1), LogitsFrom(3, globalSeed: 2));
        Assert.NotEqual(LogitsFrom(3, globalSeed: 1), LogitsFrom(4, globalSeed: 1));
    }

    [Fact]
    public void Bfloat16_autocast_stays_close_to_float32()
    {
        using var model = T5ParityTests.Load("t5v11_gated");
        var testCase = T5ParityTests.Cases("t5v11_gated").Last();
        using var scope = NewDisposeScope();
        var inputs = T5Fixtures.LongTensor(testCase.GetProperty("input_ids"));
        var mask = T5Fixtures.LongTensor(testCase.GetProperty("attention_mask"));
        var decoderInputs = T5Fixtures.LongTensor(testCase.GetProperty("decoder_input_ids"));
        var exact = model.Forward(inputs, mask, decoderInputs).Logits;
        model.Precision = T5Precision.BFloat16;
        var approximate = model.Forward(inputs, mask, decoderInputs).Logits;
        Assert.Equal(ScalarType.Float32, approximate.dtype);
        var error = (approximate - exact).abs().max().item<float>();
        var scale = exact.abs().max().item<float>();
        Assert.True(error > 0, "bf16 gave exactly the float32 logits: the autocast path did not run");
        Assert.True(error < 0.1 * scale, $"bf16 error {error} vs logit scale {scale}");
    }

    [Theory]
    [InlineData("t5-small", 60_506_624L)]
    [InlineData("flan-t5-small", 76_961_152L)]
    public void Presets_have_the_parameter_count_of_the_public_checkpoints(string preset, long parameters)
    {
        using var model = new T5ForConditionalGeneration(T5Presets.Get(preset));
        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Shift_right_starts_with_the_decoder_start_token_and_replaces_ignored_labels_with_pad()
    {
        using var scope = NewDisposeScope();
        var labels = tensor(new long[] { 5, 6, 1, 7, 1, -100 }, 2, 3);
        var shifted = T5ForConditionalGeneration.ShiftRight(labels);
        Assert.Equal(new long[] { 0, 5, 6, 0, 7, 1 }, shifted.data<long>().ToArray());
    }

    /// <summary>A tiny model (vocabulary 64) whose dropout is on (0.1), drawn from the current global generator.</summary>
    private static T5ForConditionalGeneration TinyModelWithDropout()
    {
        var config = T5Presets.Tiny(vocabSize: 64);
        config.DropoutRate = 0.1;
        return new T5ForConditionalGeneration(config);
    }

    /// <summary>One four-token input, its mask and three decoder tokens.</summary>
    private static (Tensor Inputs, Tensor Mask, Tensor DecoderInputs) ShortBatch()
    {
        var inputs = tensor(new long[] { 5, 6, 7, 1 }, 1, 4);
        return (inputs, ones_like(inputs), tensor(new long[] { 0, 9, 10 }, 1, 3));
    }
}
