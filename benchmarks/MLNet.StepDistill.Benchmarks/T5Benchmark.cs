using System.Diagnostics;
using MLNet.StepDistill.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// T5 throughput on this machine: training-step tokens/s (forward + backward + AdamW), greedy decoding new tokens/s
/// with and without the KV cache, and the same process's fp32 matmul GFLOP/s for scale.
/// Each number is the best of --steps runs. Options: --presets tiny,t5-small  --steps 3  --batch 8  --source 128  --target 32.
/// </summary>
internal sealed class T5Benchmark : IBenchmark
{
    public string Name => "t5";

    public string Description => "T5 training step, greedy decoding (with/without KV cache) and matmul throughput";

    public Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        var presets = Option(args, "--presets", "tiny,t5-small").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var steps = int.Parse(Option(args, "--steps", "3"));
        var batch = int.Parse(Option(args, "--batch", "8"));
        var source = int.Parse(Option(args, "--source", "128"));
        var target = int.Parse(Option(args, "--target", "32"));
        var device = T5Devices.Default;

        Console.WriteLine($"device {device}, {get_num_threads()} threads, batch {batch}, source {source}, target {target} tokens, best of {steps} runs");
        var matmul = MatmulGflops(device);
        Console.WriteLine($"fp32 matmul 2048x2048x2048: {matmul:F1} GFLOP/s");
        foreach (var preset in presets)
        {
            Run(preset, device, batch, source, target, steps, matmul);
        }

        return Task.FromResult(0);
    }

    private static void Run(string preset, Device device, int batch, int source, int target, int steps, double matmulGflops)
    {
        manual_seed(1234);
        var config = T5Presets.Get(preset, vocabSize: 32128);
        config.DropoutRate = 0.1;
        using var model = new T5ForConditionalGeneration(config).To(device);
        var named = model.named_parameters().ToList();
        var parameters = named.Sum(p => p.parameter.numel());
        var encoderParameters = named.Where(p => p.name.StartsWith("encoder.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        var decoderParameters = named.Where(p => p.name.StartsWith("decoder.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        var headParameters = (long)config.VocabSize * config.DModel;
        using var inputs = randint(2, config.VocabSize, [batch, source], dtype: int64, device: device);
        using var mask = ones_like(inputs);
        using var labels = randint(2, config.VocabSize, [batch, target], dtype: int64, device: device);

        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        var phases = new double[3];
        var bestPhases = new double[3];
        var bestStep = double.MaxValue;
        void TrainStep()
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            using var output = model.Forward(inputs, mask, labels: labels);
            _ = output.Loss!.item<float>();
            phases[0] = clock.Elapsed.TotalSeconds;
            clock.Restart();
            output.Loss.backward();
            phases[1] = clock.Elapsed.TotalSeconds;
            clock.Restart();
            optimizer.step();
            phases[2] = clock.Elapsed.TotalSeconds;
            if (phases.Sum() < bestStep)
            {
                bestStep = phases.Sum();
                phases.CopyTo(bestPhases, 0);
            }
        }

        TrainStep();
        bestStep = double.MaxValue;
        var trainSeconds = Time(TrainStep, steps);
        var tokensPerStep = batch * (source + target);
        var trainTokens = tokensPerStep / trainSeconds;
        var trainGflops = 6.0 * parameters * tokensPerStep / trainSeconds / 1e9;

        // Matmul FLOPs actually done: each weight multiplies only the tokens that pass through it (the input embedding is a lookup).
        var matmulFlops = 6.0 * (encoderParameters * batch * source + (decoderParameters + headParameters) * batch * target);
        var trainMatmulGflops = matmulFlops / trainSeconds / 1e9;

        model.eval();
        double Greedy(bool useCache)
        {
            var options = new T5GenerationOptions { MaxNewTokens = target, UseCache = useCache };
            var generated = 0L;
            var seconds = Time(() => generated = model.Generate(inputs, mask, options).Sequences.Sum(s => s.Length - 1L), steps);
            return generated / seconds;
        }

        Greedy(true);
        var cached = Greedy(true);
        var uncached = Greedy(false);

        Console.WriteLine($"{preset}: {parameters / 1e6:F1}M parameters");
        Console.WriteLine($"  training step:  {trainSeconds:F3} s/step, {trainTokens:F0} tokens/s (source + target)");
        Console.WriteLine($"                  6 x params x tokens: {trainGflops:F1} GFLOP/s = {trainGflops / matmulGflops:P1} of matmul");
        Console.WriteLine($"                  6 x per-token weights (encoder on source, decoder + head on target): {trainMatmulGflops:F1} GFLOP/s = {trainMatmulGflops / matmulGflops:P1} of matmul");
        Console.WriteLine($"                  forward {bestPhases[0]:F3} s, backward {bestPhases[1]:F3} s, AdamW {bestPhases[2]:F3} s");
        Console.WriteLine($"  greedy decode:  {cached:F1} new tokens/s with KV cache, {uncached:F1} without ({cached / uncached:F2}x)");
    }

    private static double MatmulGflops(Device device)
    {
        using var a = randn(2048, 2048, device: device);
        using var b = randn(2048, 2048, device: device);
        void Multiply()
        {
            using var c = a.matmul(b);
            _ = c[0, 0].item<float>();
        }

        Multiply();
        var seconds = Time(Multiply, 5);
        return 2.0 * 2048 * 2048 * 2048 / seconds / 1e9;
    }

    /// <summary>
    /// The fastest of <paramref name="repeats"/> calls, in seconds: on a shared machine the minimum is the least
    /// disturbed measurement.
    /// </summary>
    private static double Time(Action action, int repeats)
    {
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
