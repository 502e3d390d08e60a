using System.Collections;
using System.Reflection;
using Microsoft.ML;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

/// <summary>What a fit makes observable through ML.NET: log lines on <c>MLContext.Log</c> and progress-channel checkpoints.</summary>
public sealed class TrainerReportingTests
{
    [Fact]
    public void FitWithValidation_LogsLossEveryStep_AndValidationAccuracy_AndCheckpointsTheProgressChannel()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.Message);
            }
        };
        var train = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTrainRows(12));
        var validation = AnnotatedSplit.ToDataView(ml, TrainingFixtures.CqaTestRows(4));
        var progress = new TrainingFixtures.ListProgress();
        var options = TrainingFixtures.CqaOptions(TrainingMethod.FineTuning, steps: 3);
        options.BatchSize = 4;
        options.MaxInputLength = 48;
        options.MaxTargetLength = 8;
        options.EvaluateEveryNSteps = 2;
        options.Progress = progress;

        using var _ = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train, validation, CancellationToken.None);

        Assert.Equal([2, 3], progress.Reports.Where(p => p.ValidationAccuracy is not null).Select(p => p.Step));
        var training = messages.Where(m => m.Contains("MultiTaskSeq2SeqTrainer", StringComparison.Ordinal)).ToArray();
        for (var step = 1; step <= 3; step++)
        {
            Assert.Contains(training, m => m.Contains($"step {step}/3 ", StringComparison.Ordinal) && m.Contains(" loss ", StringComparison.Ordinal));
        }

        Assert.Equal(2, training.Count(m => m.Contains("validation accuracy", StringComparison.Ordinal)));

        var checkpoints = ProgressCheckpoints(ml);
        Assert.Equal(2, checkpoints.Count);
        Assert.Equal(TrainingLoop.ProgressMetricNames, checkpoints[0].MetricNames);
        Assert.Equal(progress.Reports[1].Loss, checkpoints[0].Metrics[0]!.Value, 6);
        Assert.Equal(progress.Reports[1].ValidationAccuracy, checkpoints[0].Metrics[1]);
        Assert.Equal(progress.Reports[2].ValidationAccuracy, checkpoints[1].Metrics[1]);
    }

    /// <summary>
    /// The checkpoints pushed to MLContext's progress tracker. ML.NET keeps the tracker internal (its hosts poll it), so the
    /// test reaches it by reflection: the environment behind the MLContext, its ProgressTracker, GetAllProgress().
    /// </summary>
    private static List<(string[] MetricNames, double?[] Metrics)> ProgressCheckpoints(MLContext ml)
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var env = typeof(MLContext).GetFields(all).Select(f => f.GetValue(ml)).First(v => v?.GetType().Name == "LocalEnvironment")!;
        object? tracker = null;
        for (var type = env.GetType(); type is not null && tracker is null; type = type.BaseType)
        {
            tracker = type.GetFields(all).FirstOrDefault(f => f.FieldType.Name == "ProgressTracker")?.GetValue(env);
        }

        var events = (IEnumerable)tracker!.GetType().GetMethod("GetAllProgress", all)!.Invoke(tracker, null)!;
        var result = new List<(string[], double?[])>();
        foreach (var e in events)
        {
            var entry = Member(e, "ProgressEntry");
            if (entry is null || !(bool)Member(entry, "IsCheckpoint")!)
            {
                continue;
            }

            var header = Member(entry, "Header")!;
            result.Add(((string[])Member(header, "MetricNames")!, (double?[])Member(entry, "Metrics")!));
        }

        return result;

        static object? Member(object target, string name) =>
            target.GetType().GetField(name, all)?.GetValue(target) ?? target.GetType().GetProperty(name, all)?.GetValue(target);
    }
}
