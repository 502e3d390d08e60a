using MLNet.StepDistill.T5;
using MLNet.StepDistill.Training;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class TinyPresetTests
{
    [Fact]
    public void Tiny_student_from_scratch_starts_near_the_uniform_loss_ln_vocab()
    {
        var tokenizer = T5Tokenizer.FromFile(TrainingFixtures.TokenizerPath);
        var config = T5Presets.Get("tiny", tokenizer.VocabSize);
        Assert.True(config.TieWordEmbeddings);
        manual_seed(3);
        using var model = new T5ForConditionalGeneration(config, tokenizer);
        model.eval();
        using var scope = NewDisposeScope();
        var generator = new Random(5);
        Tensor RandomIds(int rows, int length) =>
            tensor(Enumerable.Range(0, rows * length).Select(_ => (long)generator.Next(3, tokenizer.VocabSize)).ToArray(), rows, length);

        var inputs = RandomIds(8, 24);
        var labels = RandomIds(8, 12);
        var loss = model.Forward(inputs, ones_like(inputs), labels: labels).Loss!.item<float>();

        var uniform = Math.Log(tokenizer.VocabSize);
        Assert.True(Math.Abs(loss - uniform) < 0.15 * uniform, $"initial loss {loss}, ln(vocab {tokenizer.VocabSize}) = {uniform}");
    }

    [Fact]
    public void Default_learning_rate_is_high_for_a_preset_and_the_papers_for_a_checkpoint_folder()
    {
        var folder = Directory.CreateTempSubdirectory("stepdistill-lr-").FullName;
        try
        {
            Assert.Equal(5e-4, new MultiTaskSeq2SeqTrainerOptions { Student = "tiny" }.EffectiveLearningRate);
            Assert.Equal(MultiTaskSeq2SeqTrainerOptions.FromScratchLearningRate, MultiTaskSeq2SeqTrainerOptions.DefaultLearningRate("t5-small"));
            Assert.Equal(5e-5, new MultiTaskSeq2SeqTrainerOptions { Student = folder }.EffectiveLearningRate);
            Assert.Equal(3e-4, new MultiTaskSeq2SeqTrainerOptions { Student = "tiny", LearningRate = 3e-4 }.EffectiveLearningRate);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}
