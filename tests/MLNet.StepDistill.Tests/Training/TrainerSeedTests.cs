using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

[Collection(TorchRandomStateCollection.Name)]
public sealed class TrainerSeedTests
{
    [Fact]
    public void WithoutASeedOption_TheMLContextSeedDecides_TheSameSeedGivesTheSameWeights()
    {
        Dictionary<string, float[]> FitOnContext(int contextSeed)
        {
            var ml = new MLContext(seed: contextSeed);
            var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(8));
            var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 1);
            options.Seed = null;
            options.BatchSize = 4;
            options.MaxInputLength = 32;
            options.MaxTargetLength = 4;
            using var model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
            return TrainingFixtures.Weights(model);
        }

        var first = FitOnContext(5);
        var again = FitOnContext(5);
        var other = FitOnContext(6);

        Assert.All(first, kv => Assert.Equal(kv.Value, again[kv.Key]));
        Assert.Contains(first, kv => !kv.Value.SequenceEqual(other[kv.Key]));
    }
}
