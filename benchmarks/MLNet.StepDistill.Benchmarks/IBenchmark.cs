namespace MLNet.StepDistill.Benchmarks;

/// <summary>A benchmark that measures and prints numbers.</summary>
internal interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    Task<int> RunAsync(string[] args);
}
