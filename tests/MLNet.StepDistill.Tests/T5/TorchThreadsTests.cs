using Microsoft.ML;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.T5;

/// <summary>The thread setting reaches libtorch, and a negative count is refused where it is given.</summary>
public class TorchThreadsTests
{
    [Fact]
    public void Apply_sets_libtorchs_intra_op_threads_for_the_process()
    {
        TorchThreads.Apply(1);

        Assert.Equal(1, TorchThreads.Current);
        Assert.Equal(1, TorchSharp.torch.get_num_threads());
        Assert.True(TorchThreads.LibTorchDefaultNumberOfThreads >= 1);
    }

    [Fact]
    public void A_negative_count_is_refused_by_Apply_and_by_the_trainer_options()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.Apply(-1));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MLContext(seed: 1).StepDistill().Trainers.MultiTaskSeq2Seq(new MultiTaskSeq2SeqTrainerOptions { NumberOfThreads = -2 }));

        Assert.Equal("NumberOfThreads", ex.ParamName);
    }
}
