using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>
/// Training draws weights and dropout from torch's process-wide generator, so runs compared bit for bit must not share
/// the process with other torch work: this collection runs alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomStateCollection
{
    public const string Name = "Torch random state";
}
