using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Greedy decoding as HF 4.36's <c>_greedy_search</c>: argmax each step, finished rows get pad, stop when every row
/// has produced EOS or after the new-token limit; the output keeps the start token.
/// </summary>
internal static class T5GreedySearch
{
    public static T5GenerationResult Run(T5ForConditionalGeneration model, Tensor encoderHidden, Tensor attentionMask, T5GenerationOptions options)
    {
        var config = model.Config;
        var device = model.Device;
        var batch = encoderHidden.shape[0];
        var encoderMask = T5ForConditionalGeneration.ExtendedMask(attentionMask);
        using var cache = options.UseCache ? model.NewCache() : null;
        var sequences = full(batch, 1, config.DecoderStartTokenId, dtype: int64, device: device);
        var unfinished = ones(batch, dtype: int64, device: device);
        for (var step = 0; step < options.MaxNewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var decoderInputs = cache is null ? sequences : sequences[.., ^1..];
            var logits = model.DecodeLogits(decoderInputs, encoderHidden, encoderMask, cache);
            var next = logits[.., -1, ..].argmax(-1);
            next = next * unfinished + config.PadTokenId * (1 - unfinished);
            var extended = cat([sequences, next.unsqueeze(1)], 1);
            var stillRunning = unfinished * next.ne(config.EosTokenId).to(int64);
            sequences = extended.MoveToOuterDisposeScope();
            unfinished = stillRunning.MoveToOuterDisposeScope();
            if (unfinished.max().item<long>() == 0)
            {
                break;
            }
        }

        var rows = sequences.cpu();
        var width = (int)rows.shape[1];
        var flat = rows.data<long>().ToArray();
        var result = Enumerable.Range(0, (int)batch).Select(i => flat.AsSpan(i * width, width).ToArray()).ToArray();
        return new T5GenerationResult(result, sequenceScores: null);
    }
}
