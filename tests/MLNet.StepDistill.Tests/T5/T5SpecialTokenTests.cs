using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>
/// Special-token text inside an input (<c>&lt;/s&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>, <c>&lt;extra_id_N&gt;</c>)
/// is the special id, as in Hugging Face's legacy T5 tokenizers; the text between is SentencePiece's, part by part.
/// Expected ids of each part come from <c>spm_encode --output_format=id</c> (sentencepiece 0.1.97) on that part alone.
/// </summary>
public class T5SpecialTokenTests
{
    private static readonly string FixtureModel = Path.Combine(T5Fixtures.TokenizerFolder("t5_spm800"), T5Tokenizer.ModelFileName);
    private static readonly string ShippedModel = Path.Combine(RepoPaths.Root, "datasets", "tokenizer", T5Tokenizer.ModelFileName);

    // spm_encode 0.1.97, t5_spm800: "A man sleeps." and "A person rests.".
    private static readonly int[] ManSleeps = [59, 95, 169, 100, 24, 11, 11, 36, 6, 7];
    private static readonly int[] PersonRests = [59, 3, 208, 6, 16, 34, 83, 102, 6, 7];

    [Fact]
    public void Eos_text_separates_two_sentences_with_eos_id()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel);
        Assert.Equal([.. ManSleeps, 1, .. PersonRests, 1], tokenizer.Encode("A man sleeps.</s>A person rests."));

        var shipped = T5Tokenizer.FromFile(ShippedModel, modelVocabSize: 4000);
        // spm_encode 0.1.97, datasets/tokenizer/spiece.model: "A man sleeps." -> 15 34 518 13 3; "A person rests." -> 15 67 555 13 3.
        Assert.Equal([15, 34, 518, 13, 3, 1, 15, 67, 555, 13, 3, 1], shipped.Encode("A man sleeps.</s>A person rests."));
    }

    [Fact]
    public void Each_part_gets_its_own_dummy_prefix_and_whitespace_around_a_special_token_folds_away()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel);
        // spm_encode 0.1.97, t5_spm800: "a" -> 10; "b" and " b" -> 154 ("▁b"); "a " -> 10.
        Assert.Equal([10, 1, 154], tokenizer.Encode("a</s>b", addEos: false));
        Assert.Equal([10, 1, 154], tokenizer.Encode("a </s> b", addEos: false));
        Assert.Equal(["\u2581a", "</s>", "\u2581b"], tokenizer.Tokenize("a </s> b").Select(t => t.Piece));
        Assert.Equal([1, 1, 1], tokenizer.Encode("</s> </s>"));
        Assert.Empty(tokenizer.Tokenize(" "));
    }

    [Fact]
    public void Pad_and_unk_text_are_their_ids_and_unk_runs_do_not_merge_across_them()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel);
        // spm_encode 0.1.97, t5_spm800: "x" -> 3 240; "y" -> 3 42; "日本" -> 3 2; "語" -> 3 2.
        Assert.Equal([3, 240, 0, 3, 42, 2, 1], tokenizer.Encode("x<pad>y<unk>"));
        Assert.Equal([3, 2, 2, 3, 2], tokenizer.Encode("日本<unk>語", addEos: false));
    }

    [Fact]
    public void Sentinel_text_is_the_sentinel_only_when_the_model_has_that_sentinel()
    {
        var withSentinels = T5Tokenizer.FromFile(FixtureModel, modelVocabSize: 820);
        // spm_encode 0.1.97, t5_spm800: "The cat" -> 85 103 94.
        Assert.Equal([85, 103, 94, 819, 1], withSentinels.Encode("The cat<extra_id_0>"));
        Assert.Equal([809, 800], withSentinels.Encode("<extra_id_10><extra_id_19>", addEos: false));
        // spm_encode 0.1.97, t5_spm800: "<extra_id_20>" (the model has 20 sentinels, 0..19).
        Assert.Equal([3, 787, 11, 240, 19, 32, 20, 620, 17, 14, 620, 791, 166, 391], withSentinels.Encode("<extra_id_20>", addEos: false));

        // spm_encode 0.1.97, t5_spm800: "The cat<extra_id_0>" as one plain text.
        int[] plain = [85, 103, 94, 787, 11, 240, 19, 32, 20, 620, 17, 14, 620, 166, 391];
        Assert.Equal(plain, T5Tokenizer.FromFile(FixtureModel).Encode("The cat<extra_id_0>", addEos: false));
        Assert.Equal(plain, T5Tokenizer.FromFile(FixtureModel, modelVocabSize: 800).Encode("The cat<extra_id_0>", addEos: false));

        // spm_encode 0.1.97, datasets/tokenizer/spiece.model (vocab 4000, no sentinels): "The cat<extra_id_0>".
        Assert.Equal(
            [10, 702, 3762, 21, 420, 62, 253, 3888, 493, 3888, 244, 3761],
            T5Tokenizer.FromFile(ShippedModel, modelVocabSize: 4000).Encode("The cat<extra_id_0>", addEos: false));
    }

    [Fact]
    public void Text_that_only_looks_like_a_special_token_stays_plain_text()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel, modelVocabSize: 820);
        // spm_encode 0.1.97, t5_spm800, each text whole.
        Assert.Equal([3, 240, 787, 116, 6], tokenizer.Encode("x</s", addEos: false));
        Assert.Equal([3, 240, 787, 3, 116, 6, 391, 42], tokenizer.Encode("x< /s>y", addEos: false));
        Assert.Equal([3, 787, 116, 65, 391], tokenizer.Encode("</S>", addEos: false));
    }

    [Fact]
    public void Truncation_keeps_the_appended_eos_after_a_separator()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel);
        Assert.Equal([.. ManSleeps, 1, 1], tokenizer.Encode("A man sleeps.</s>A person rests.", maxLength: 12));
        Assert.Equal([.. ManSleeps, 1], tokenizer.Encode("A man sleeps.</s>A person rests.", maxLength: 11));
        using var batch = tokenizer.EncodeBatch(["A man sleeps.</s>A person rests.", "a"], maxLength: 12, padToMaxLength: true);
        long[] expected = [.. ManSleeps, 1, 1, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, batch.InputIds.data<long>().ToArray());
    }

    [Fact]
    public void Decoding_writes_special_tokens_back_as_text_that_encodes_to_the_same_ids()
    {
        var tokenizer = T5Tokenizer.FromFile(FixtureModel, modelVocabSize: 820);
        var ids = tokenizer.Encode("A man sleeps.</s>A person rests.");
        // spm_decode 0.1.97, t5_spm800, of the same ids: control pieces vanish.
        Assert.Equal("A man sleeps. A person rests.", tokenizer.Decode(ids));
        var kept = tokenizer.Decode(ids, skipSpecialTokens: false);
        Assert.Equal("A man sleeps.</s> A person rests.</s>", kept);
        Assert.Equal(ids, tokenizer.Encode(kept, addEos: false));

        var special = tokenizer.Encode("x<pad>y<unk><extra_id_3>");
        Assert.Equal([3, 240, 0, 3, 42, 2, 816, 1], special);
        // spm_decode 0.1.97, t5_spm800: "3 240 0 3 42 2 1" -> "x y \u2047 " (unk keeps sentencepiece's surface).
        Assert.Equal("x y \u2047 ", tokenizer.Decode(special));
        var text = tokenizer.Decode(special, skipSpecialTokens: false);
        Assert.Equal("x<pad> y<unk><extra_id_3></s>", text);
        Assert.Equal(special, tokenizer.Encode(text, addEos: false));
    }

    [Fact]
    public void Nli_student_input_has_eos_between_premise_and_hypothesis_and_at_the_end()
    {
        var row = TaskDataset.Open(RepoPaths.Dataset("esnli")).ReadExamples("valid")[0];
        var input = TaskPrefixes.Predict + TaskFamily.Nli.CreateFormat().FormatInput(row);
        var tokenizer = T5Tokenizer.FromFile(ShippedModel, modelVocabSize: 4000);
        using var batch = tokenizer.EncodeBatch([input]);

        // spm_encode 0.1.97, datasets/tokenizer/spiece.model:
        // "predict: Two women are embracing while holding to go packages."
        int[] premise = [1338, 23, 246, 62, 6, 84, 145, 24, 3728, 105, 153, 17, 199, 1024, 565, 13, 3];
        // "The sisters are hugging goodbye while holding to go packages after just eating lunch."
        int[] hypothesis = [10, 2248, 13, 24, 3109, 120, 1379, 21, 105, 153, 17, 199, 1024, 565, 13, 188, 622, 332, 1035, 3];
        var ids = batch.InputIds.data<long>().ToArray();
        long[] expected = [.. premise, 1, .. hypothesis, 1];
        Assert.Equal(expected, ids);
        Assert.Equal(2, ids.Count(id => id == tokenizer.EosId));
    }
}
