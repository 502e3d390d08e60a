using Microsoft.ML;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// What a <see cref="DistillationExperiment"/> gives: where the rows came from, one <see cref="ExperimentResult"/> per
/// model (the majority-class baseline first), and the student with the best test accuracy. Disposing it frees the student.
/// </summary>
public sealed class ExperimentReport : IDisposable
{
    internal ExperimentReport(string dataset, string trainSplit, int poolRows, string testSplit, int testSplitRows,
        IReadOnlyList<ExperimentResult> results, Seq2SeqStudentTransformer? bestStudent, DataViewSchema inputSchema)
    {
        Dataset = dataset;
        TrainSplit = trainSplit;
        PoolRows = poolRows;
        TestSplit = testSplit;
        TestSplitRows = testSplitRows;
        Results = results;
        BestStudent = bestStudent;
        InputSchema = inputSchema;
    }

    /// <summary>The dataset's name (e.g. <c>esnli</c>).</summary>
    public string Dataset { get; }

    /// <summary>The split the training rows were sampled from (<c>valid</c> where the dataset has no train split).</summary>
    public string TrainSplit { get; }

    /// <summary>Rows in the training pool before sampling.</summary>
    public int PoolRows { get; }

    /// <summary>The split evaluated on.</summary>
    public string TestSplit { get; }

    /// <summary>Rows in the whole test split (the results may use the first few of them).</summary>
    public int TestSplitRows { get; }

    /// <summary>One row per model: the majority-class baseline, then each trained student in the order of the modes.</summary>
    public IReadOnlyList<ExperimentResult> Results { get; }

    /// <summary>The trained student with the best test accuracy (the first on ties); null when no student was trained.</summary>
    public Seq2SeqStudentTransformer? BestStudent { get; }

    /// <summary>The input schema of the annotated rows, for <c>mlContext.StepDistill().SaveModel(BestStudent, InputSchema, path)</c>.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>The best student's row of <see cref="Results"/>, or null.</summary>
    public ExperimentResult? Best => BestStudent is null ? null : Results.Skip(1).MaxBy(r => r.Accuracy);

    /// <inheritdoc/>
    public void Dispose() => BestStudent?.Dispose();
}
