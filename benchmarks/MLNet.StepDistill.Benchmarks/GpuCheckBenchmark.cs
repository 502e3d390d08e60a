using System.Diagnostics;
using System.Globalization;
using MLNet.StepDistill.T5;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Benchmarks;

/// <summary>
/// The CUDA check <c>eng/gpu-check.sh</c> runs: the same tiny student (same seed, same initial weights) trains
/// --steps steps on one fixed random batch in float32 and in bf16 autocast, then decodes greedily; prints training and
/// decoding tokens/s per precision and the max abs difference of the logits, bf16 against float32, on the same weights
/// and after each precision's own training. Exits 2 without CUDA. Options: --steps 50 --batch 16 --source 64 --target 16.
/// </summary>
internal sealed class GpuCheckBenchmark : IBenchmark
{
    public string Name => "gpu";

    public string Description => "CUDA check: 50 training steps in bf16 and fp32, decoding tokens/s, max |logits bf16 - fp32|";

    public Task<int> RunAsync(string[] args)
    {
        NativeTorch.EnsureLoaded();
        if (!cuda.is_available())
        {
            Console.Error.WriteLine("gpu: torch.cuda.is_available() is false: this build or machine has no CUDA libtorch/GPU. Nothing checked.");
            return Task.FromResult(2);
        }

        var steps = Options.Int(args, "--steps", 50);
        var batch = Options.Int(args, "--batch", 16);
        var source = Options.Int(args, "--source", 64);
        var target = Options.Int(args, "--target", 16);
        var device = CUDA;
        var config = T5Presets.Get("tiny", vocabSize: 32128);
        manual_seed(5);
        using var inputs = randint(2, config.VocabSize, [batch, source], dtype: int64).to(device);
        using var mask = ones_like(inputs);
        using var labels = randint(2, config.VocabSize, [batch, target], dtype: int64).to(device);

        Tensor? fp32Trained = null;
        Tensor? fp32Initial = null;
        foreach (var precision in new[] { T5Precision.Float32, T5Precision.BFloat16 })
        {
            manual_seed(7);
            using var model = new T5ForConditionalGeneration(config).To(device, precision);
            model.eval();
            var initial = Logits(model, inputs, mask, labels);
            model.train();
            using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
            var clock = Stopwatch.StartNew();
            float loss = 0;
            for (var step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var output = model.Forward(inputs, mask, labels: labels);
                output.Loss!.backward();
                optimizer.step();
                loss = output.Loss.item<float>();
            }

            var trainSeconds = clock.Elapsed.TotalSeconds;
            model.eval();
            clock.Restart();
            var generated = model.Generate(inputs, mask, new T5GenerationOptions { MaxNewTokens = target }).Sequences.Sum(s => s.Length - 1.0);
            var decodeSeconds = clock.Elapsed.TotalSeconds;
            var trained = Logits(model, inputs, mask, labels);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{precision}: {steps} steps, {steps * batch * (source + target) / trainSeconds:F0} training tokens/s, final loss {loss:F4}; greedy {generated / decodeSeconds:F0} new tokens/s"));
            if (precision == T5Precision.Float32)
            {
                // The same trained weights under bf16 autocast: the precision's own error, without training drift.
                model.Precision = T5Precision.BFloat16;
                using var sameWeights = Logits(model, inputs, mask, labels);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"max |logits bf16 - fp32| on the same (fp32-trained) weights: {(sameWeights - trained).abs().max().item<float>():G4} (logits up to {trained.abs().max().item<float>():G4})"));
                fp32Trained = trained;
                fp32Initial = initial;
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"max |logits bf16 - fp32| at the same initial weights: {(initial - fp32Initial!).abs().max().item<float>():G4}; after {steps} steps each: {(trained - fp32Trained!).abs().max().item<float>():G4}"));
                initial.Dispose();
                trained.Dispose();
            }
        }

        fp32Trained?.Dispose();
        fp32Initial?.Dispose();
        return Task.FromResult(0);
    }

    private static Tensor Logits(T5ForConditionalGeneration model, Tensor inputs, Tensor mask, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.Forward(inputs, mask, labels: labels).Logits.to(float32).cpu().MoveToOuterDisposeScope();
    }
}
