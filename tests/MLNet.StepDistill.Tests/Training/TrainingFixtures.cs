using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using TorchSharp;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>Small shipped data and CPU-sized options shared by the trainer tests.</summary>
internal static class TrainingFixtures
{
    private static readonly Lazy<IReadOnlyList<AnnotatedRow>> CqaTrain = new(() => AnnotatedSplit.Read(new MLContext(), Dataset("cqa"), "train").Take(300).ToArray());
    private static readonly Lazy<IReadOnlyList<AnnotatedRow>> CqaTest = new(() => AnnotatedSplit.Read(new MLContext(), Dataset("cqa"), "test").Take(40).ToArray());

    public static string RepoRoot => MLNet.StepDistill.Tests.Tasks.RepoPaths.Root;

    /// <summary>The shipped SentencePiece model (<c>datasets/tokenizer/spiece.model</c>).</summary>
    public static string TokenizerPath => Path.Combine(RepoRoot, "datasets", "tokenizer", "spiece.model");

    public static TaskDataset Dataset(string name) => TaskDataset.Open(Path.Combine(RepoRoot, "datasets", name));

    public static IReadOnlyList<AnnotatedRow> CqaTrainRows(int count) => CqaTrain.Value.Take(count).ToArray();

    public static IReadOnlyList<AnnotatedRow> CqaTestRows(int count) => CqaTest.Value.Take(count).ToArray();

    /// <summary>Tiny student, short sequences, a high learning rate for training from scratch.</summary>
    public static MultiTaskSeq2SeqTrainerOptions CqaOptions(TrainingMethod method, int steps) => new()
    {
        Method = method,
        ChoicesColumnName = "Choices",
        Student = "tiny",
        TokenizerPath = TrainingFixtures.TokenizerPath,
        MaxSteps = steps,
        BatchSize = 16,
        LearningRate = 1e-3,
        WarmupSteps = 2,
        MaxInputLength = 64,
        MaxTargetLength = 24,
        Seed = 7,
    };

    /// <summary>The student's weights, copied to plain arrays.</summary>
    public static Dictionary<string, float[]> Weights(Seq2SeqStudentTransformer model) =>
        model.Predictor.Student.Module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.cpu().data<float>().ToArray());

    /// <summary>Reports synchronously (System.Progress posts to the thread pool).</summary>
    public sealed class ListProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}
