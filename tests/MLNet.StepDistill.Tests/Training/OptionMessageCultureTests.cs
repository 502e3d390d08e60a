using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Experiments;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>Option errors print numbers the same way whatever the current culture (German writes 1.5 as "1,5").</summary>
public sealed class OptionMessageCultureTests
{
    [Fact]
    public void ANonIntegerOutOfRange_IsWrittenWithADecimalPoint_UnderAGermanCulture()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var ml = new MLContext(seed: 1);
            var trainer = Assert.Throws<ArgumentOutOfRangeException>(() =>
                ml.StepDistill().Trainers.MultiTaskSeq2Seq(new MultiTaskSeq2SeqTrainerOptions { Alpha = 1.5f }));
            var experiment = Assert.Throws<ArgumentOutOfRangeException>(() =>
                new StepByStepExperiment(ml, new StepByStepExperimentOptions { DatasetFolder = "datasets/cqa", Fractions = [1.5] }));

            Assert.Contains("got 1.5.", trainer.Message);
            Assert.Contains("got 1.5.", experiment.Message);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
