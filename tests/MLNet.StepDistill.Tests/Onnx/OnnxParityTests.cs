using System.Text.Json;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Export;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tests.T5;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Tests.Onnx;

/// <summary>
/// The exported graphs, run by ONNX Runtime, against the TorchSharp model they came from (itself pinned to Hugging Face
/// by <see cref="T5ParityTests"/>): on every HF fixture model and every case, as the whole batch (one case pads, one
/// does not) and as single rows. Candidate scoring is checked on both manifest formats: format 2 (the current export,
/// target log-probabilities from the graph) and format 1 (the folders exported before it, byte for byte: logits out,
/// log-softmax in C#).
/// </summary>
public sealed class OnnxParityTests
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<string> ModelFolders => T5Fixtures.ModelNames();

    public static TheoryData<string, int> ModelFoldersAndFormats()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in T5Fixtures.ModelNames())
        {
            for (var format = OnnxStudentManifest.OldestFormatVersion; format <= OnnxStudentManifest.CurrentFormatVersion; format++)
            {
                data.Add(name, format);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Encoder_states_and_decoder_logits_match_torchsharp(string name)
    {
        using var exported = Exported.Of(name);
        foreach (var (label, batch) in Batches(name))
        {
            using var scope = NewDisposeScope();
            var encoded = exported.Onnx.Encode(batch.Inputs);
            var torchEncoded = exported.Torch.Encode(batch.InputTensor, batch.MaskTensor);
            AssertClose(torchEncoded.data<float>().ToArray(), encoded.HiddenStates, $"{name}/{label} encoder");

            using var output = exported.Torch.Forward(batch.InputTensor, batch.MaskTensor, batch.DecoderTensor);
            var logits = exported.Onnx.DecoderLogits(batch.DecoderIds, batch.DecoderWidth, encoded);
            AssertClose(output.Logits.data<float>().ToArray(), logits, $"{name}/{label} logits");
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Cached_decoding_one_token_at_a_time_gives_the_teacher_forced_logits(string name)
    {
        using var exported = Exported.Of(name);
        foreach (var (label, batch) in Batches(name))
        {
            using var scope = NewDisposeScope();
            using var output = exported.Torch.Forward(batch.InputTensor, batch.MaskTensor, batch.DecoderTensor);
            var expected = output.Logits.data<float>().ToArray();
            var vocab = exported.Onnx.Manifest.Model.VocabSize;
            using var cache = new OnnxDecoderCache(exported.Onnx, exported.Onnx.Encode(batch.Inputs));
            for (var t = 0; t < batch.DecoderWidth; t++)
            {
                var ids = Enumerable.Range(0, batch.Rows).Select(r => batch.DecoderIds[r * batch.DecoderWidth + t]).ToArray();
                var step = exported.Onnx.Step(cache, ids, 1);
                var want = Enumerable.Range(0, batch.Rows).SelectMany(r => expected.AsSpan(((r * batch.DecoderWidth) + t) * vocab, vocab).ToArray()).ToArray();
                AssertClose(want, step, $"{name}/{label} cached step {t}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Greedy_and_beam3_generation_give_torchsharps_ids(string name)
    {
        using var exported = Exported.Of(name);
        var meta = T5Fixtures.ReadJson(Path.Combine(T5Fixtures.ModelFolder(name), "meta.json"));
        var maxNewTokens = meta.GetProperty("generate_greedy_kwargs").GetProperty("max_new_tokens").GetInt32();
        foreach (var (label, batch) in Batches(name))
        {
            foreach (var beams in new[] { 1, 3 })
            {
                using var scope = NewDisposeScope();
                var expected = exported.Torch.Generate(batch.InputTensor, batch.MaskTensor, new T5GenerationOptions { MaxNewTokens = maxNewTokens, NumBeams = beams }).Sequences;
                var actual = exported.Onnx.Generate(batch.Inputs, new T5GenerationOptions { MaxNewTokens = maxNewTokens, NumBeams = beams });
                Assert.True(expected.Length == actual.Length, $"{name}/{label} beams {beams}: row count");
                for (var r = 0; r < expected.Length; r++)
                {
                    Assert.True(expected[r].SequenceEqual(actual[r]), $"{name}/{label} beams {beams} row {r}: torch [{string.Join(",", expected[r])}] onnx [{string.Join(",", actual[r])}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelFolders))]
    public void Target_log_probs_from_the_graph_are_torchsharps_log_softmax_at_each_target_id(string name)
    {
        using var exported = Exported.Of(name);
        Assert.True(exported.Onnx.Manifest.DecoderScoresTargets);
        foreach (var (label, batch) in Batches(name))
        {
            using var scope = NewDisposeScope();
            using var output = exported.Torch.Forward(batch.InputTensor, batch.MaskTensor, batch.DecoderTensor);
            var logProbabilities = output.Logits.log_softmax(-1);
            var targets = batch.Labels.Select(l => l.TakeWhile(id => id >= 0).Select(id => (int)id).ToArray()).ToArray();
            var actual = exported.Onnx.TargetLogProbabilities(batch.DecoderIds, targets, batch.DecoderWidth, exported.Onnx.Encode(batch.Inputs));
            var expected = new List<float>();
            var read = new List<float>();
            for (var r = 0; r < batch.Rows; r++)
            {
                for (var t = 0; t < targets[r].Length; t++)
                {
                    expected.Add(logProbabilities[r, t, targets[r][t]].item<float>());
                    read.Add(actual[r * batch.DecoderWidth + t]);
                }
            }

            Assert.NotEmpty(expected);
            AssertClose([.. expected], [.. read], $"{name}/{label} target log-probabilities");
        }
    }

    [Theory]
    [MemberData(nameof(ModelFoldersAndFormats))]
    public void Candidate_log_likelihoods_and_class_scores_match_torchsharp(string name, int formatVersion)
    {
        using var exported = Exported.Of(name, formatVersion);
        Assert.Equal(formatVersion, exported.Onnx.Manifest.FormatVersion);
        foreach (var (label, batch) in Batches(name))
        {
            using var scope = NewDisposeScope();
            // Candidates: each case's label rows (one padded with -100 in the padded case), plus a one-token answer.
            var labels = batch.Labels;
            var candidates = labels.Select(l => l.Where(id => id >= 0).Select(id => (int)id).ToArray()).Append([7, 1]).ToArray();
            var width = candidates.Max(c => c.Length);
            var padded = candidates.SelectMany(c => c.Select(id => (long)id).Concat(Enumerable.Repeat(-100L, width - c.Length))).ToArray();
            var torchScores = exported.Torch.ScoreCandidates(batch.InputTensor, batch.MaskTensor, tensor(padded, candidates.Length, width));
            var onnxScores = exported.Onnx.ScoreCandidates(batch.Inputs, Enumerable.Range(0, batch.Rows).Select(_ => (IReadOnlyList<int[]>)candidates).ToArray());
            for (var r = 0; r < batch.Rows; r++)
            {
                var expected = Enumerable.Range(0, candidates.Length).Select(c => torchScores[r, c].LogLikelihood).ToArray();
                AssertClose(expected, onnxScores[r], $"{name}/{label} row {r} log-likelihoods");
                var expectedSoftmax = MLNet.StepDistill.Tasks.ClassScores.Softmax(expected, expected.Length);
                var actualSoftmax = MLNet.StepDistill.Tasks.ClassScores.Softmax(onnxScores[r], expected.Length);
                for (var c = 0; c < expected.Length; c++)
                {
                    Assert.True(Math.Abs(expectedSoftmax[c] - actualSoftmax[c]) <= 1e-5, $"{name}/{label} row {r} class {c}: {expectedSoftmax[c]} vs {actualSoftmax[c]}");
                }
            }
        }
    }

    /// <summary>The fixture's cases as whole batches (padded and not), and each case's rows one by one.</summary>
    internal static IEnumerable<(string Label, FixtureBatch Batch)> Batches(string name)
    {
        foreach (var testCase in T5ParityTests.Cases(name))
        {
            var caseName = testCase.GetProperty("name").GetString()!;
            var whole = FixtureBatch.From(testCase);
            yield return ($"{caseName} batch {whole.Rows}", whole);
            for (var r = 0; r < whole.Rows; r++)
            {
                yield return ($"{caseName} row {r}", whole.Row(r));
            }
        }
    }

    internal static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        var worst = 0f;
        var at = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(expected[i] - actual[i]);
            if (!(diff <= worst))
            {
                worst = diff;
                at = i;
            }
        }

        Assert.True(worst <= Tolerance, $"{what}: max |diff| {worst} at {at} ({expected[at]} vs {actual[at]})");
    }

    /// <summary>A fixture model in TorchSharp and its ONNX export (in a temp folder, removed on dispose).</summary>
    internal sealed class Exported : IDisposable
    {
        private readonly TempFolder folder;

        private Exported(T5ForConditionalGeneration torch, TempFolder folder, OnnxT5Model onnx)
        {
            Torch = torch;
            this.folder = folder;
            Onnx = onnx;
        }

        public T5ForConditionalGeneration Torch { get; }

        public OnnxT5Model Onnx { get; }

        public string Folder => folder.Path;

        /// <param name="name">The fixture model.</param>
        /// <param name="formatVersion">The manifest format to export (format 1: the layout of folders exported before format 2).</param>
        public static Exported Of(string name, int formatVersion = OnnxStudentManifest.CurrentFormatVersion)
        {
            var model = T5ParityTests.Load(name);
            // The fixtures carry no tokenizer; the shipped one travels along (only ids are compared here).
            model.Tokenizer = T5Tokenizer.FromFile(Path.Combine(TrainingFixturesRoot, "datasets", "tokenizer", "spiece.model"));
            var temp = new TempFolder();
            var target = Path.Combine(temp.Path, "onnx");
            T5OnnxExport.Export(model, target, student: null, formatVersion);
            return new Exported(model, temp, OnnxT5Model.Load(target, new OnnxRuntimeOptions { Threads = 1 }));
        }

        public void Dispose()
        {
            Onnx.Dispose();
            Torch.Dispose();
            folder.Dispose();
        }

        private static string TrainingFixturesRoot => MLNet.StepDistill.Tests.Tasks.RepoPaths.Root;
    }

    /// <summary>One batch of a fixture case, as plain arrays and as tensors.</summary>
    internal sealed record FixtureBatch(long[][] InputRows, long[][] MaskRows, long[][] DecoderRows, long[][] Labels)
    {
        public int Rows => InputRows.Length;

        public T5PaddedIds Inputs => new(InputRows.SelectMany(r => r).ToArray(), MaskRows.SelectMany(r => r).ToArray(), Rows, InputRows[0].Length);

        public long[] DecoderIds => DecoderRows.SelectMany(r => r).ToArray();

        public int DecoderWidth => DecoderRows[0].Length;

        public Tensor InputTensor => tensor(Inputs.Ids, Rows, Inputs.Width);

        public Tensor MaskTensor => tensor(Inputs.Mask, Rows, Inputs.Width);

        public Tensor DecoderTensor => tensor(DecoderIds, Rows, DecoderWidth);

        public static FixtureBatch From(JsonElement testCase) => new(
            T5Fixtures.LongRows(testCase.GetProperty("input_ids")),
            T5Fixtures.LongRows(testCase.GetProperty("attention_mask")),
            T5Fixtures.LongRows(testCase.GetProperty("decoder_input_ids")),
            T5Fixtures.LongRows(testCase.GetProperty("labels")));

        /// <summary>Row <paramref name="r"/> alone, its padding cut off (a batch of one has none).</summary>
        public FixtureBatch Row(int r)
        {
            var length = (int)MaskRows[r].Sum();
            return new([InputRows[r][..length]], [MaskRows[r][..length]], [DecoderRows[r]], [Labels[r]]);
        }
    }
}
