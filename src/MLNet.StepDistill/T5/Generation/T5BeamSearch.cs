using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Beam search as HF 4.36's <c>_beam_search</c>, in torch: each step's decoder log-probabilities and top 2 x beams
/// candidates per input; the bookkeeping is <see cref="T5BeamSearchState"/>, shared with the ONNX runtime.
/// </summary>
internal static class T5BeamSearch
{
    public static T5GenerationResult Run(T5ForConditionalGeneration model, Tensor encoderHidden, Tensor attentionMask, T5GenerationOptions options)
    {
        var config = model.Config;
        var device = model.Device;
        var batch = (int)encoderHidden.shape[0];
        var beams = options.NumBeams;
        var rows = batch * beams;
        var maxLength = 1 + options.MaxNewTokens;
        var states = encoderHidden.repeat_interleave(beams, dim: 0);
        var encoderMask = T5ForConditionalGeneration.ExtendedMask(attentionMask.repeat_interleave(beams, dim: 0));
        using var cache = options.UseCache ? model.NewCache() : null;

        var search = new T5BeamSearchState(batch, beams, options.LengthPenalty, config.DecoderStartTokenId, config.PadTokenId, config.EosTokenId);
        for (var length = 1; length < maxLength; length++)
        {
            using var stepScope = NewDisposeScope();
            var decoderInputs = cache is null
                ? tensor(search.Sequences.SelectMany(s => s).ToArray(), rows, length).to(device)
                : tensor(search.LastTokens(), rows, 1).to(device);
            var logProbs = model.DecodeLogits(decoderInputs, states, encoderMask, cache)[.., -1, ..].log_softmax(-1);
            var vocab = logProbs.shape[1];
            var scores = (logProbs + tensor(search.BeamScores, device: device).unsqueeze(1)).view(batch, beams * vocab);
            var (topScores, topIndices) = scores.topk(2 * beams, dim: 1, largest: true, sorted: true);
            var candidateScores = topScores.cpu().data<float>().ToArray();
            var candidateIndices = topIndices.cpu().data<long>().ToArray();
            var nextRows = search.Step(length, vocab, b => (candidateScores[(b * 2 * beams)..((b + 1) * 2 * beams)], candidateIndices[(b * 2 * beams)..((b + 1) * 2 * beams)]));
            cache?.Reorder(tensor(nextRows.Select(r => (long)r).ToArray(), device: device));
            if (search.AllDone)
            {
                break;
            }
        }

        var (output, bestScores) = search.Finish(maxLength);
        return new T5GenerationResult(output, bestScores);
    }
}
