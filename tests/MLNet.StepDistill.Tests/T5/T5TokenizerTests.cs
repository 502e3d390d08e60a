using Microsoft.ML.Tokenizers;
using MLNet.StepDistill.T5;
using TorchSharp;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>T5 conventions on top of SentencePiece: EOS, batching, truncation, sentinels, decoding specials.</summary>
public class T5TokenizerTests
{
    private static readonly string ModelPath = Path.Combine(T5Fixtures.TokenizerFolder("t5_spm800"), T5Tokenizer.ModelFileName);

    [Fact]
    public void Batch_is_padded_with_pad_and_masked()
    {
        var tokenizer = T5Tokenizer.FromFile(ModelPath);
        using var batch = tokenizer.EncodeBatch(["Hello world", "a"]);
        Assert.Equal(new long[] { 2, 8 }, batch.InputIds.shape);
        Assert.Equal(new long[] { 3, 794, 11, 24, 24, 16, 557, 1, 10, 1, 0, 0, 0, 0, 0, 0 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        using var labels = batch.ToLabels();
        Assert.Equal(new long[] { 10, 1, -100, -100, -100, -100, -100, -100 }, labels.data<long>().ToArray()[8..]);
    }

    [Fact]
    public void The_copy_Microsoft_ML_Tokenizers_loads_keeps_every_special_id_and_unknown_text_is_unk()
    {
        // Microsoft.ML.Tokenizers cannot load bos_id = -1, so it gets a copy whose one trainer_spec aliases BOS to pad
        // and keeps every other field: 3.0.0 reads only the last trainer_spec of a file, so a second, bos-only spec
        // lost unk_id (default 0) and unknown characters came out as pad.
        var original = SentencePieceModelFile.Parse(File.ReadAllBytes(ModelPath), ModelPath);
        var repairedBytes = original.ForMicrosoftTokenizer();
        var repaired = SentencePieceModelFile.Parse(repairedBytes, "repaired");
        Assert.Equal((2, 1, 0, -1), (original.UnkId, original.EosId, original.PadId, original.BosId));
        Assert.Equal((2, 1, 0, 0, "<pad>"), (repaired.UnkId, repaired.EosId, repaired.PadId, repaired.BosId, repaired.BosPiece));
        Assert.Equal(original.Pieces, repaired.Pieces);

        using var stream = new MemoryStream(repairedBytes);
        var microsoft = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        Assert.Equal([3, 2, 2], microsoft.EncodeToIds("日本", addBeginningOfSentence: false, addEndOfSentence: false));   // one unk a character
        Assert.Equal([3, 2], T5Tokenizer.FromFile(ModelPath).Encode("日本", addEos: false));                                 // merged, as sentencepiece
    }

    [Fact]
    public void Truncation_keeps_eos_last()
    {
        var tokenizer = T5Tokenizer.FromFile(ModelPath);
        Assert.Equal([3, 794, 11, 1], tokenizer.Encode("Hello world", maxLength: 4));
        using var batch = tokenizer.EncodeBatch(["Hello world", "a"], maxLength: 4, padToMaxLength: true);
        Assert.Equal(new long[] { 3, 794, 11, 1, 10, 1, 0, 0 }, batch.InputIds.data<long>().ToArray());
    }

    [Fact]
    public void Sentinels_sit_above_the_sentencepiece_vocabulary_when_the_model_has_room()
    {
        var tokenizer = T5Tokenizer.FromFile(ModelPath, modelVocabSize: 820);
        Assert.Equal((800, 20, 820), (tokenizer.SentencePieceVocabSize, tokenizer.SentinelCount, tokenizer.VocabSize));
        Assert.Equal(819, tokenizer.SentinelId(0));
        Assert.Equal(800, tokenizer.SentinelId(19));
        Assert.Equal(819, tokenizer.SentinelIdOf("<extra_id_0>"));
        Assert.Equal(0, T5Tokenizer.FromFile(ModelPath).SentinelCount);
    }

    [Fact]
    public void Decode_skips_pad_eos_and_sentinels_unless_asked_to_keep_them()
    {
        var tokenizer = T5Tokenizer.FromFile(ModelPath, modelVocabSize: 820);
        long[] ids = [0, 85, 819, 557, 1, 0];
        Assert.Equal("The world", tokenizer.Decode(ids));
        // Hugging Face's T5Tokenizer renders the same: "<pad> The<extra_id_0> world</s><pad>".
        Assert.Equal("<pad> The<extra_id_0> world</s><pad>", tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Saved_tokenizer_travels_with_the_model()
    {
        var tokenizer = T5Tokenizer.FromFile(ModelPath, modelVocabSize: 820);
        TorchSharp.torch.manual_seed(3);
        using var model = new T5ForConditionalGeneration(T5Presets.Tiny(tokenizer.VocabSize), tokenizer);
        using var folder = new TempFolder();
        model.SavePretrained(folder.Path);
        Assert.Equal(File.ReadAllBytes(ModelPath), File.ReadAllBytes(folder.File(T5Tokenizer.ModelFileName)));
        using var reloaded = T5ForConditionalGeneration.FromPretrained(folder.Path, TorchSharp.torch.CPU);
        Assert.NotNull(reloaded.Tokenizer);
        Assert.Equal(20, reloaded.Tokenizer!.SentinelCount);
        var texts = reloaded.Generate(["translate English to German: The house is wonderful."], new T5GenerationOptions { MaxNewTokens = 5 });
        Assert.Single(texts);
    }
}
