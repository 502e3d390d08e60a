using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>A trained student's cursor set: two cursors moved on two threads at once score every row as one cursor does.</summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class ParallelCursorScoringTests
{
    [Fact]
    public void Two_cursors_on_two_threads_give_the_single_cursors_scores_and_labels()
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset("esnli");
        var train = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "valid").Take(32).ToArray());
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.FineTuning, Labels = dataset.Schema.Labels!.ToArray(),
            TokenizerPath = TrainingFixtures.TokenizerPath,
            MaxSteps = 4, BatchSize = 16, MaxInputLength = 64, MaxTargetLength = 8, Seed = 2, NumberOfThreads = 1, PredictionBatchSize = 8,
        };
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        var test = ml.Data.Cache(AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "test").Take(60).ToArray()));
        var scored = student.Transform(test);

        var single = Read(scored, [scored.GetRowCursor(scored.Schema)]);
        var cursors = scored.GetRowCursorSet(scored.Schema, 2);
        var parallel = Read(scored, cursors);

        Assert.Equal(2, cursors.Length);
        Assert.Equal(single.Keys.Order(), parallel.Keys.Order());
        foreach (var (id, (label, scores)) in single)
        {
            Assert.Equal(label, parallel[id].Label);
            for (var c = 0; c < scores.Length; c++)
            {
                Assert.Equal(scores[c], parallel[id].Scores[c], 1e-6);
            }
        }
    }

    private static Dictionary<string, (string Label, float[] Scores)> Read(IDataView view, DataViewRowCursor[] cursors)
    {
        var rows = new ConcurrentDictionary<string, (string, float[])>();
        var repeated = 0;
        OwnThreads.Run(cursors.Length, part =>
        {
            using var cursor = cursors[part];
            var id = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Id"]);
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["PredictedText"]);
            var score = cursor.GetGetter<VBuffer<float>>(view.Schema["Score"]);
            ReadOnlyMemory<char> idValue = default, textValue = default;
            VBuffer<float> scoreValue = default;
            while (cursor.MoveNext())
            {
                id(ref idValue);
                text(ref textValue);
                score(ref scoreValue);
                if (!rows.TryAdd(idValue.ToString(), (textValue.ToString(), scoreValue.DenseValues().ToArray())))
                {
                    Interlocked.Increment(ref repeated);
                }
            }
        });

        Assert.Equal(0, repeated);   // no row came from two cursors
        return new Dictionary<string, (string, float[])>(rows);
    }
}
