using System.Text.Json;
using MLNet.StepDistill.T5;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>
/// Our T5 and tokenizer against Hugging Face transformers 4.36.2 and sentencepiece 0.1.97, one theory row per
/// fixture folder under Fixtures/t5 and Fixtures/spm.
/// </summary>
public class T5ParityTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> ModelFolders => T5Fixtures.ModelNames();

    public static TheoryData<string> TokenizerFolders => T5Fixtures.TokenizerNames();

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Encoder_output_logits_and_loss_match_hugging_face(string name)
    {
        using var model = Load(name);
        foreach (var testCase in Cases(name))
        {
            using var scope = NewDisposeScope();
            var expected = testCase.GetProperty("expected");
            using var output = model.Forward(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                T5Fixtures.LongTensor(testCase.GetProperty("decoder_input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("labels")));

            AssertClose(expected.GetProperty("encoder_last_hidden_state"), output.EncoderLastHiddenState, $"{name}/{CaseName(testCase)} encoder");
            AssertClose(expected.GetProperty("logits"), output.Logits, $"{name}/{CaseName(testCase)} logits");
            var expectedLoss = expected.GetProperty("loss").GetDouble();
            var loss = output.Loss!.item<float>();
            Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"{name}/{CaseName(testCase)} loss {loss} vs HF {expectedLoss}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Loss_from_labels_alone_shifts_them_right_like_hugging_face(string name)
    {
        using var model = Load(name);
        foreach (var testCase in Cases(name))
        {
            using var scope = NewDisposeScope();
            var labels = T5Fixtures.LongTensor(testCase.GetProperty("labels"));
            var shifted = T5ForConditionalGeneration.ShiftRight(labels);
            Assert.Equal(T5Fixtures.LongRows(testCase.GetProperty("decoder_input_ids")), Rows(shifted));

            using var output = model.Forward(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                labels: labels);
            var expectedLoss = testCase.GetProperty("expected").GetProperty("loss").GetDouble();
            Assert.True(Math.Abs(output.Loss!.item<float>() - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss));
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Greedy_generation_matches_hugging_face(string name)
    {
        using var model = Load(name);
        var options = GenerateOptions(name, "generate_greedy_kwargs");
        foreach (var testCase in Cases(name))
        {
            using var scope = NewDisposeScope();
            var expected = T5Fixtures.LongRows(testCase.GetProperty("expected").GetProperty("generate_greedy").GetProperty("sequences"));
            var result = model.Generate(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                options);
            Assert.Equal(expected, result.Sequences);
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Beam_search_matches_hugging_face(string name)
    {
        using var model = Load(name);
        var options = GenerateOptions(name, "generate_beam_kwargs");
        foreach (var testCase in Cases(name))
        {
            using var scope = NewDisposeScope();
            var beam = testCase.GetProperty("expected").GetProperty("generate_beam3");
            options.LengthPenalty = beam.GetProperty("length_penalty").GetDouble();
            Assert.False(beam.GetProperty("early_stopping").GetBoolean());
            var result = model.Generate(
                T5Fixtures.LongTensor(testCase.GetProperty("input_ids")),
                T5Fixtures.LongTensor(testCase.GetProperty("attention_mask")),
                options);

            Assert.Equal(T5Fixtures.LongRows(beam.GetProperty("sequences")), result.Sequences);
            var expectedScores = beam.GetProperty("sequences_scores").EnumerateArray().Select(s => s.GetDouble()).ToArray();
            Assert.Equal(expectedScores.Length, result.SequenceScores!.Length);
            for (var i = 0; i < expectedScores.Length; i++)
            {
                Assert.True(Math.Abs(result.SequenceScores[i] - expectedScores[i]) <= Tolerance * (1 + Math.Abs(expectedScores[i])),
                    $"{name}/{CaseName(testCase)} beam score {i}: {result.SequenceScores[i]} vs HF {expectedScores[i]}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Relative_position_buckets_match_hugging_face(string name)
    {
        var table = T5Fixtures.ReadJson(Path.Combine(T5Fixtures.ModelFolder(name), "relative_buckets.json"));
        using var scope = NewDisposeScope();
        var positions = T5Fixtures.LongTensor(table.GetProperty("relative_position"));
        var numBuckets = table.GetProperty("num_buckets").GetInt32();
        var maxDistance = table.GetProperty("max_distance").GetInt32();
        foreach (var (key, bidirectional) in new[] { ("bidirectional_encoder", true), ("unidirectional_decoder", false) })
        {
            var expected = T5Fixtures.LongTensor(table.GetProperty(key)).data<long>().ToArray();
            var actual = T5RelativePosition.Bucket(positions, bidirectional, numBuckets, maxDistance).data<long>().ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Saved_and_reloaded_model_gives_bit_identical_logits(string name)
    {
        using var model = Load(name);
        using var folder = new TempFolder();
        model.SavePretrained(folder.Path);
        using var reloaded = T5ForConditionalGeneration.FromPretrained(folder.Path, CPU);

        T5Fixtures.AssertSameLogits(name, model, reloaded);

        var keptByHuggingFace = T5Fixtures.ReadJson(Path.Combine(T5Fixtures.ModelFolder(name), "meta.json"))
            .GetProperty("safetensors_keys_kept").EnumerateArray().Select(k => k.GetString()!).Order(StringComparer.Ordinal);
        var written = SafetensorsFile.Validate(folder.File("model.safetensors")).Keys.Order(StringComparer.Ordinal);
        Assert.Equal(keptByHuggingFace, written);
    }

    [Theory]
    [MemberData(nameof(TokenizerFolders))]
    public void Tokenizer_ids_pieces_and_decoded_text_match_sentencepiece(string name)
    {
        var folder = T5Fixtures.TokenizerFolder(name);
        var fixture = T5Fixtures.ReadJson(Path.Combine(folder, "cases.json"));
        var special = fixture.GetProperty("special");
        var tokenizer = T5Tokenizer.FromFile(Path.Combine(folder, T5Tokenizer.ModelFileName));
        Assert.Equal(special.GetProperty("vocab_size").GetInt32(), tokenizer.SentencePieceVocabSize);
        Assert.Equal(special.GetProperty("pad_id").GetInt32(), tokenizer.PadId);
        Assert.Equal(special.GetProperty("eos_id").GetInt32(), tokenizer.EosId);
        Assert.Equal(special.GetProperty("unk_id").GetInt32(), tokenizer.UnkId);

        foreach (var testCase in fixture.GetProperty("cases").EnumerateArray())
        {
            var text = testCase.GetProperty("text").GetString()!;
            var ids = testCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var pieces = testCase.GetProperty("pieces").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var tokens = tokenizer.Tokenize(text);
            Assert.Equal(ids, tokens.Select(t => t.Id).ToArray());
            Assert.Equal(pieces, tokens.Select(t => t.Piece).ToArray());
            Assert.Equal(ids.Append(tokenizer.EosId).ToArray(), tokenizer.Encode(text));
            Assert.Equal(testCase.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
        }
    }

    internal static T5ForConditionalGeneration Load(string name) => T5ForConditionalGeneration.FromPretrained(T5Fixtures.ModelFolder(name), CPU);

    internal static IEnumerable<JsonElement> Cases(string name) =>
        T5Fixtures.ReadJson(Path.Combine(T5Fixtures.ModelFolder(name), "cases.json")).EnumerateArray();

    private static T5GenerationOptions GenerateOptions(string name, string key)
    {
        var kwargs = T5Fixtures.ReadJson(Path.Combine(T5Fixtures.ModelFolder(name), "meta.json")).GetProperty(key);
        Assert.False(kwargs.GetProperty("do_sample").GetBoolean());
        return new T5GenerationOptions
        {
            MaxNewTokens = kwargs.GetProperty("max_new_tokens").GetInt32(),
            NumBeams = kwargs.GetProperty("num_beams").GetInt32(),
        };
    }

    private static string CaseName(JsonElement testCase) => testCase.GetProperty("name").GetString()!;

    private static long[][] Rows(Tensor t)
    {
        var width = (int)t.shape[1];
        var flat = t.data<long>().ToArray();
        return Enumerable.Range(0, (int)t.shape[0]).Select(i => flat[(i * width)..((i + 1) * width)]).ToArray();
    }

    private static void AssertClose(JsonElement expectedJson, Tensor actual, string what)
    {
        var (expected, shape) = T5Fixtures.Flatten(expectedJson);
        Assert.Equal(shape, actual.shape);
        var values = actual.contiguous().data<float>().ToArray();
        var worst = 0.0;
        var worstIndex = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            var excess = Math.Abs(values[i] - expected[i]) - (Tolerance + Tolerance * Math.Abs(expected[i]));
            if (excess > worst)
            {
                worst = excess;
                worstIndex = i;
            }
        }

        Assert.True(worstIndex < 0, worstIndex < 0 ? "" : $"{what}: element {worstIndex} is {values[worstIndex]}, HF {expected[worstIndex]}");
    }
}
