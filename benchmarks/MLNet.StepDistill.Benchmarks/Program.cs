using MLNet.StepDistill.Benchmarks;

// Benchmarks print numbers; they are never run as tests.
// Usage: dotnet run -c Release --project benchmarks/MLNet.StepDistill.Benchmarks -- <name> [options]
var benchmarks = BenchmarkRegistry.All.ToDictionary(b => b.Name, StringComparer.OrdinalIgnoreCase);
if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine("usage: MLNet.StepDistill.Benchmarks <name> [options]");
    foreach (var b in benchmarks.Values)
    {
        Console.Error.WriteLine($"  {b.Name,-10} {b.Description}");
    }
    return args.Length == 0 ? 0 : 2;
}

return await benchmark.RunAsync(args[1..]);
