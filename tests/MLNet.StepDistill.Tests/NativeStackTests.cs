using MLNet.StepDistill.T5;
using TorchSharp;
using Xunit;

namespace MLNet.StepDistill.Tests;

public class NativeStackTests
{
    [Fact]
    public void Libtorch_loads_and_multiplies_matrices()
    {
        try
        {
            NativeTorch.EnsureLoaded();
        }
        catch (InvalidOperationException ex)
        {
            Assert.Fail(ex.Message);
        }

        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, 2, 2);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
    }
}
