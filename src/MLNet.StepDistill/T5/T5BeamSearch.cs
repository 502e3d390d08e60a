using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.T5;

/// <summary>
/// Beam search as HF 4.36's <c>_beam_search</c> with <c>BeamSearchScorer</c> (no early stopping): each step keeps
/// the top 2 x beams candidates of every input, moves EOS candidates ranked within the first beams to the finished
/// hypotheses, and continues the best non-EOS ones; an input is done once no open beam can beat its finished ones.
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

        var sequences = Enumerable.Range(0, rows).Select(_ => new long[] { config.DecoderStartTokenId }).ToArray();
        var beamScores = Enumerable.Range(0, rows).Select(r => r % beams == 0 ? 0f : -1e9f).ToArray();
        var hypotheses = Enumerable.Range(0, batch).Select(_ => new T5BeamHypotheses(beams, options.LengthPenalty)).ToArray();
        var done = new bool[batch];

        for (var length = 1; length < maxLength; length++)
        {
            using var stepScope = NewDisposeScope();
            var decoderInputs = cache is null
                ? tensor(sequences.SelectMany(s => s).ToArray(), rows, length).to(device)
                : tensor(sequences.Select(s => s[^1]).ToArray(), rows, 1).to(device);
            var logProbs = model.DecodeLogits(decoderInputs, states, encoderMask, cache)[.., -1, ..].log_softmax(-1);
            var vocab = logProbs.shape[1];
            var scores = (logProbs + tensor(beamScores, device: device).unsqueeze(1)).view(batch, beams * vocab);
            var (topScores, topIndices) = scores.topk(2 * beams, dim: 1, largest: true, sorted: true);
            var candidateScores = topScores.cpu().data<float>().ToArray();
            var candidateIndices = topIndices.cpu().data<long>().ToArray();

            var nextScores = new float[rows];
            var nextTokens = new long[rows];
            var nextRows = new long[rows];
            for (var b = 0; b < batch; b++)
            {
                if (done[b])
                {
                    for (var k = 0; k < beams; k++)
                    {
                        nextTokens[b * beams + k] = config.PadTokenId;
                    }

                    continue;
                }

                var kept = 0;
                for (var rank = 0; rank < 2 * beams && kept < beams; rank++)
                {
                    var flat = candidateIndices[b * 2 * beams + rank];
                    var score = candidateScores[b * 2 * beams + rank];
                    var token = flat % vocab;
                    var sourceRow = b * beams + (int)(flat / vocab);
                    if (token == config.EosTokenId)
                    {
                        if (rank < beams)
                        {
                            hypotheses[b].Add(sequences[sourceRow], score, generatedLength: length);
                        }

                        continue;
                    }

                    nextScores[b * beams + kept] = score;
                    nextTokens[b * beams + kept] = token;
                    nextRows[b * beams + kept] = sourceRow;
                    kept++;
                }

                var best = candidateScores[b * 2 * beams];
                done[b] = hypotheses[b].IsDone(best, generatedLength: length);
            }

            sequences = Enumerable.Range(0, rows).Select(r => sequences[nextRows[r]].Append(nextTokens[r]).ToArray()).ToArray();
            beamScores = nextScores;
            cache?.Reorder(tensor(nextRows, device: device));
            if (done.All(d => d))
            {
                break;
            }
        }

        var (output, bestScores) = T5BeamHypotheses.Finish(sequences, beamScores, hypotheses, done, beams, maxLength, config.PadTokenId, config.EosTokenId);
        return new T5GenerationResult(output, bestScores);
    }
}
