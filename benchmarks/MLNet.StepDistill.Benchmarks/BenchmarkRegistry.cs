namespace MLNet.StepDistill.Benchmarks;

/// <summary>Every benchmark, in one place.</summary>
internal static class BenchmarkRegistry
{
    public static IReadOnlyList<IBenchmark> All { get; } =
    [
        new TeacherBenchmark(),
        new AnnotateBenchmark(),
        new BenchSuite(),
        new TrainingMemoryBenchmark(),
        new GpuCheckBenchmark(),
        new AggregationBenchmark(),
        new PaddingBenchmark(),
        new ThreadsBenchmark(),
        new OnnxBenchmark(),
        new ServeBenchmark(),
        new AllocatorBenchmark(),
        new SideBySideBenchmark(),
    ];
}
