using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>The trainer's view of a <see cref="T5ForConditionalGeneration"/> with its tokenizer and length limits.</summary>
internal sealed class T5Student : ISeq2SeqStudent
{
    private readonly T5Tokenizer tokenizer;

    public T5Student(T5ForConditionalGeneration model, int maxInputLength, int maxTargetLength)
    {
        Model = model;
        tokenizer = model.Tokenizer ?? throw new ArgumentException("The student has no tokenizer (spiece.model).");
        MaxInputLength = maxInputLength;
        MaxTargetLength = maxTargetLength;
    }

    public T5ForConditionalGeneration Model { get; }

    public nn.Module Module => Model;

    /// <inheritdoc/>
    public Generator? RandomGenerator { get; private set; }

    /// <summary>
    /// Gives the student a random generator of its own on the CPU, starting where torch's process-wide generator stands
    /// now (after <c>manual_seed</c> and the weight initialisation), and makes every dropout of the model draw from it: the
    /// run's random stream is then exactly the one it would have drawn from the global generator, and other runs may use
    /// the global generator meanwhile. False for a student on another device (its dropout keeps the device's global generator).
    /// </summary>
    public bool ForkRandomGenerator()
    {
        if (Model.Device.type != DeviceType.CPU)
        {
            return false;
        }

        RandomGenerator?.Dispose();
        RandomGenerator = new Generator();
        using (var state = torch.random.get_rng_state())
        {
            RandomGenerator.set_state(state);
        }

        Model.DropoutGenerator = RandomGenerator;
        return true;
    }

    public int MaxInputLength { get; }

    public int MaxTargetLength { get; }

    /// <summary>
    /// Creates the student the options name: a Hugging Face folder, or a preset with fresh weights (seed torch first) and
    /// the tokenizer of <see cref="MultiTaskSeq2SeqTrainerOptions.TokenizerPath"/> (default: the shipped one).
    /// </summary>
    public static T5Student Create(MultiTaskSeq2SeqTrainerOptions options, string deviceName)
    {
        var device = T5Devices.Parse(deviceName);
        T5ForConditionalGeneration model;
        if (Directory.Exists(options.Student))
        {
            model = T5ForConditionalGeneration.FromPretrained(options.Student, device, options.Precision);
        }
        else
        {
            var tokenizerPath = options.TokenizerPath ?? ShippedTokenizer.Find();
            var tokenizer = T5Tokenizer.FromFile(tokenizerPath);
            T5Config config;
            try
            {
                config = T5Presets.Get(options.Student, tokenizer.VocabSize);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"MultiTaskSeq2SeqTrainerOptions.{nameof(options.Student)}: \"{options.Student}\" is neither a folder nor a preset. {ex.Message}", ex);
            }

            model = new T5ForConditionalGeneration(config, tokenizer).To(device, options.Precision);
        }

        return new T5Student(model, options.MaxInputLength, options.MaxTargetLength);
    }

    /// <summary>Loads a student that <see cref="SavePretrained"/> wrote.</summary>
    public static T5Student Load(string folder, StudentAnswerSpec spec, string device) =>
        new(T5ForConditionalGeneration.FromPretrained(folder, T5Devices.Parse(device), null), spec.MaxInputLength, spec.MaxTargetLength);

    public Tensor Loss(IReadOnlyList<string> inputs, IReadOnlyList<string> targets)
    {
        using var source = tokenizer.EncodeBatch(inputs, MaxInputLength);
        using var target = tokenizer.EncodeBatch(targets, MaxTargetLength);
        using var labels = target.ToLabels();
        var output = Model.Forward(source.InputIds, source.AttentionMask, labels: labels);
        return output.Loss!;
    }

    /// <summary>
    /// The most decoder logits (floats) one scoring pass may hold: a batch whose candidates would need more is scored in
    /// consecutive chunks of rows (same numbers, bounded memory). 2^26 floats = 256 MB.
    /// </summary>
    internal long ScoringLogitBudget { get; init; } = 1L << 26;

    /// <summary>The candidate texts' token ids, tokenised once per student.</summary>
    internal CandidateTokenCache CandidateTokens => candidateTokens ??= new CandidateTokenCache(tokenizer, MaxTargetLength);

    private CandidateTokenCache? candidateTokens;

    /// <summary>
    /// Scores a whole batch at once: the inputs are tokenised together and encoded once each, every row's candidates
    /// (token ids from <see cref="CandidateTokens"/>) are scored in one decoder pass per chunk of rows by
    /// <see cref="T5ForConditionalGeneration.ScoreCandidatesPerRow"/>. Rows may have different numbers of candidates
    /// (a row with none gets an empty array). The numbers equal scoring each row on its own to float rounding.
    /// </summary>
    public float[][] ScoreTargets(IReadOnlyList<string> inputs, IReadOnlyList<IReadOnlyList<string>> candidates, ScoreAggregation aggregation = ScoreAggregation.Sum)
    {
        if (inputs.Count != candidates.Count)
        {
            throw new ArgumentException($"{inputs.Count} inputs but {candidates.Count} candidate lists.", nameof(candidates));
        }

        var result = new float[inputs.Count][];
        var cache = CandidateTokens;
        // FirstToken scores each candidate by its first token alone: the candidates become one token each, so the decoder
        // runs only its first position (see ScoreCandidatesPerRow).
        var ids = candidates
            .Select(row => row.Select(text => aggregation == ScoreAggregation.FirstToken ? cache.Get(text)[..1] : cache.Get(text)).ToArray())
            .ToArray();
        var rows = Enumerable.Range(0, inputs.Count).Where(i => ids[i].Length > 0).ToArray();
        foreach (var i in Enumerable.Range(0, inputs.Count).Where(i => ids[i].Length == 0))
        {
            result[i] = [];
        }

        foreach (var chunk in Chunks(rows, ids, Model.Config.VocabSize, ScoringLogitBudget))
        {
            using var scope = NewDisposeScope();
            using var source = tokenizer.EncodeBatch(chunk.Select(i => inputs[i]).ToArray(), MaxInputLength);
            using var targets = CandidateTensor(chunk.Select(i => ids[i]).ToArray());
            var scores = Model.ScoreCandidatesPerRow(source.InputIds, source.AttentionMask, targets);
            for (var r = 0; r < chunk.Length; r++)
            {
                result[chunk[r]] = Enumerable.Range(0, ids[chunk[r]].Length)
                    .Select(c => aggregation == ScoreAggregation.Mean ? scores[r, c].MeanLogLikelihood : scores[r, c].LogLikelihood)
                    .ToArray();
            }
        }

        return result;
    }

    /// <summary>Consecutive runs of rows whose padded candidate logits stay within <see cref="ScoringLogitBudget"/>.</summary>
    private static IEnumerable<int[]> Chunks(int[] rows, int[][][] ids, long vocabSize, long budget)
    {
        var chunk = new List<int>();
        long candidates = 0, length = 0;
        foreach (var row in rows)
        {
            var rowCandidates = Math.Max(candidates, ids[row].Length);
            var rowLength = Math.Max(length, ids[row].Max(c => c.Length));
            if (chunk.Count > 0 && (chunk.Count + 1) * rowCandidates * rowLength * vocabSize > budget)
            {
                yield return chunk.ToArray();
                chunk.Clear();
                rowCandidates = ids[row].Length;
                rowLength = ids[row].Max(c => c.Length);
            }

            chunk.Add(row);
            (candidates, length) = (rowCandidates, rowLength);
        }

        if (chunk.Count > 0)
        {
            yield return chunk.ToArray();
        }
    }

    /// <summary>Candidate ids [rows, most candidates, longest candidate], -100 at padding (and for missing candidates).</summary>
    private static Tensor CandidateTensor(int[][][] rows)
    {
        var candidates = rows.Max(r => r.Length);
        var length = rows.Max(r => r.Max(c => c.Length));
        var flat = new long[rows.Length * candidates * length];
        Array.Fill(flat, T5ForConditionalGeneration.IgnoreIndex);
        for (var i = 0; i < rows.Length; i++)
        {
            for (var c = 0; c < rows[i].Length; c++)
            {
                var at = (i * candidates + c) * length;
                for (var t = 0; t < rows[i][c].Length; t++)
                {
                    flat[at + t] = rows[i][c][t];
                }
            }
        }

        return tensor(flat, rows.Length, candidates, length);
    }

    public string[] Generate(IReadOnlyList<string> inputs) =>
        Model.Generate(inputs, new T5GenerationOptions { MaxNewTokens = MaxTargetLength }, MaxInputLength).ToArray();

    public void SavePretrained(string folder) => Model.SavePretrained(folder);

    public void Dispose()
    {
        Model.DropoutGenerator = null;
        RandomGenerator?.Dispose();
        Model.Dispose();
    }
}
