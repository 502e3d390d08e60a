using System.Globalization;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The optimiser loop: AdamW with warm-up and decay, gradient accumulation and clipping, validation with best-weights
/// and early stopping, atomic checkpoints and resume, progress reports, cancellation. Deterministic on CPU for a seed:
/// the batch order comes from <see cref="BatchPlan"/>, dropout from the student's random generator (seeded, restored on resume).
/// </summary>
internal sealed class TrainingLoop(
    ISeq2SeqStudent student,
    StudentPredictor predictor,
    MultiTaskSeq2SeqTrainerOptions options,
    int seed,
    IHost host)
{
    /// <summary>The metrics of ML.NET's progress channel, in the order of <see cref="ProgressHeader.MetricNames"/>.</summary>
    internal static readonly string[] ProgressMetricNames = ["Loss", "Validation accuracy"];

    /// <summary>Trains on <paramref name="rows"/>; validates on <paramref name="validation"/> (rows with gold labels) when given.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the last written checkpoint is where a resume starts.</exception>
    public void Run(IReadOnlyList<TrainingRow> rows, IReadOnlyList<TrainingRow>? validation, CancellationToken cancellationToken)
    {
        var plan = options.LengthBucketWindow > 1
            ? new BatchPlan(rows.Count, options.BatchSize, seed, rows.Select(BucketLength).ToArray(), options.LengthBucketWindow)
            : new BatchPlan(rows.Count, options.BatchSize, seed);
        var totalSteps = options.MaxSteps > 0 ? options.MaxSteps : options.Epochs * plan.StepsPerEpoch;
        var fingerprint = ResumeFingerprint.Of(options, seed, totalSteps, rows.Count);
        using var channel = host.Start("Training");
        using var pch = host.StartProgressChannel("Training");
        var module = student.Module;
        using var trainingMemory = TrainingStepMemory.BeginTraining(); // ended after the optimizer's state is freed
        using var optimizer = CreateOptimizer(module);

        var start = 0;
        double? best = null;
        var sinceBest = 0;
        if (options.Resume && options.CheckpointFolder is { } resumeFolder &&
            TrainingCheckpoint.TryRestore(resumeFolder, fingerprint, module, optimizer, totalSteps, student.RandomGenerator) is { } restored)
        {
            start = restored.Step;
            best = restored.BestAccuracy;
            sinceBest = restored.ValidationsWithoutImprovement;
            channel.Info(MessageSensitivity.None, $"Resuming from step {start} of {totalSteps} ({TrainingCheckpoint.PathIn(resumeFolder)}).");
        }

        // ML.NET's progress channel pulls the latest step and loss whenever the host polls it; validations are checkpoints.
        var (current, lastLoss, lastAccuracy) = (start, double.NaN, best);
        pch.SetHeader(new ProgressHeader(ProgressMetricNames, ["Step"]), e =>
        {
            e.SetProgress(0, current, totalSteps);
            e.SetMetric(0, lastLoss);
            if (lastAccuracy is { } a)
            {
                e.SetMetric(1, a);
            }
        });

        Dictionary<string, Tensor>? bestInMemory = null;
        channel.Info(MessageSensitivity.None, $"Training {TrainingMethods.Name(options.Method)} on {rows.Count} rows: {totalSteps} steps of {Math.Min(options.BatchSize, rows.Count)} rows.");
        for (var step = start; step < totalSteps; step++)
        {
            MLContextCancellation.ThrowIfCancelled(host, cancellationToken);
            var learningRate = ScheduledLearningRate.At(step, totalSteps, options.WarmupSteps, options.EffectiveLearningRate, options.LearningRateSchedule);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = learningRate;
            }

            var (loss, labelLoss, rationaleLoss) = TrainStep(module, optimizer, plan.RowsOf(step).Select(i => rows[i]).ToArray());
            TrainingStepMemory.AfterStep();
            double? accuracy = null;
            var done = step + 1;
            var validateNow = validation is { Count: > 0 } &&
                              ((options.EvaluateEveryNSteps > 0 && done % options.EvaluateEveryNSteps == 0) || done == totalSteps);
            if (validateNow)
            {
                accuracy = Validate(validation!);
                module.train();
                if (best is null || accuracy > best)
                {
                    best = accuracy;
                    sinceBest = 0;
                    if (options.KeepBestCheckpoint)
                    {
                        bestInMemory = SaveBest(module, bestInMemory);
                    }
                }
                else
                {
                    sinceBest++;
                }
            }

            (current, lastLoss, lastAccuracy) = (done, loss, accuracy ?? lastAccuracy);
            if (accuracy is not null)
            {
                pch.Checkpoint(loss, accuracy, done);
            }

            var progress = new TrainingProgress(done, totalSteps, plan.EpochOf(step), loss, labelLoss, rationaleLoss, learningRate, accuracy);
            channel.Info(MessageSensitivity.None, Describe(progress));
            options.Progress?.Report(progress);
            var stopEarly = options.EarlyStoppingPatience > 0 && sinceBest >= options.EarlyStoppingPatience;
            if (options.CheckpointFolder is { } folder && (done % Math.Max(1, options.CheckpointEveryNSteps) == 0 || done == totalSteps || stopEarly))
            {
                new TrainingCheckpoint { Step = done, Fingerprint = fingerprint, BestAccuracy = best, ValidationsWithoutImprovement = sinceBest }
                    .Write(folder, module, optimizer, student.RandomGenerator);
            }

            if (stopEarly)
            {
                channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture, $"Stopping early at step {done}: {sinceBest} validations without improvement (best accuracy {best:F4})."));
                break;
            }
        }

        if (options.KeepBestCheckpoint && best is not null)
        {
            RestoreBest(module, bestInMemory);
        }

        module.eval();
    }

    private (double Loss, double? LabelLoss, double? RationaleLoss) TrainStep(nn.Module module, AdamW optimizer, TrainingRow[] batch)
    {
        // One scope around the whole step, not only the forward passes: every read of a parameter's .grad (gradient
        // clipping, AdamW's step) makes a new tensor handle, and a handle left to the GC finaliser keeps that step's
        // gradient buffers alive after they were let go: one handle per parameter per step, ~2x RSS.
        using var stepScope = NewDisposeScope();
        module.train();
        FusedAdamWStep.ClearGradients(optimizer);
        var parts = Math.Clamp(options.GradientAccumulationSteps, 1, batch.Length);
        double total = 0, labelTotal = 0, rationaleTotal = 0;
        int labelParts = 0, rationaleParts = 0;
        for (var part = 0; part < parts; part++)
        {
            var micro = batch.Where((_, i) => i % parts == part).ToArray();
            using var scope = NewDisposeScope();
            var (loss, labelLoss, rationaleLoss) = MultiTaskStep.Loss(student, micro, options.Mode, options.Alpha);
            (loss / parts).backward();
            total += loss.item<float>() / parts;
            if (labelLoss is { } l)
            {
                labelTotal += l;
                labelParts++;
            }

            if (rationaleLoss is { } r)
            {
                rationaleTotal += r;
                rationaleParts++;
            }
        }

        if (options.MaxGradientNorm > 0)
        {
            nn.utils.clip_grad_norm_(module.parameters(), options.MaxGradientNorm);
        }

        FusedAdamWStep.Step(optimizer);
        return (total, labelParts > 0 ? labelTotal / labelParts : null, rationaleParts > 0 ? rationaleTotal / rationaleParts : null);
    }

    private AdamW CreateOptimizer(nn.Module module)
    {
        var named = module.named_parameters().ToArray();
        var decayed = named.Where(p => !p.name.Contains("layer_norm", StringComparison.Ordinal)).Select(p => p.parameter).ToArray();
        var notDecayed = named.Where(p => p.name.Contains("layer_norm", StringComparison.Ordinal)).Select(p => p.parameter).ToArray();
        var groups = new List<AdamW.ParamGroup>
        {
            new(decayed, new AdamW.Options { LearningRate = options.EffectiveLearningRate, weight_decay = options.WeightDecay }),
        };
        if (notDecayed.Length > 0)
        {
            groups.Add(new(notDecayed, new AdamW.Options { LearningRate = options.EffectiveLearningRate, weight_decay = 0 }));
        }

        return optim.AdamW(groups, options.EffectiveLearningRate);
    }

    private double Validate(IReadOnlyList<TrainingRow> validation)
    {
        var correct = 0;
        const int chunk = 32;
        for (var start = 0; start < validation.Count; start += chunk)
        {
            var rows = validation.Skip(start).Take(chunk).ToArray();
            var answers = predictor.Answer(rows.Select(r => r.Input).ToArray(), rows.Select(r => r.Choices).ToArray(), withRationale: false);
            correct += rows.Zip(answers).Count(p => AnswerComparer.Same(predictor.Spec.AnswerKind, p.Second.PredictedText, p.First.Label));
        }

        return (double)correct / validation.Count;
    }

    /// <summary>
    /// The length length-bucketed batches sort by: the characters of the input and of the longest target the row
    /// trains (a tokenizer-free stand-in for token counts that orders rows the same way up to ties).
    /// </summary>
    internal static int BucketLength(TrainingRow row) =>
        row.Input.Length + Math.Max(row.Label?.Length ?? 0, row.Rationale?.Length ?? 0);

    private Dictionary<string, Tensor> SaveBest(nn.Module module, Dictionary<string, Tensor>? previous)
    {
        if (options.CheckpointFolder is { } folder)
        {
            TrainingCheckpoint.WriteWeights(TrainingCheckpoint.BestPathIn(folder), module);
        }

        if (previous is not null)
        {
            foreach (var tensor in previous.Values)
            {
                tensor.Dispose();
            }
        }

        using var noGrad = no_grad();
        return module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().MoveToOuterDisposeScope());
    }

    private void RestoreBest(nn.Module module, Dictionary<string, Tensor>? bestInMemory)
    {
        if (bestInMemory is not null)
        {
            module.load_state_dict(bestInMemory);
            foreach (var tensor in bestInMemory.Values)
            {
                tensor.Dispose();
            }
        }
        else if (options.CheckpointFolder is { } folder && File.Exists(TrainingCheckpoint.BestPathIn(folder)))
        {
            module.load(TrainingCheckpoint.BestPathIn(folder));
        }
    }

    private static string Describe(TrainingProgress p) =>
        string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.TotalSteps} epoch {p.Epoch} loss {p.Loss:F4}") +
        (p.LabelLoss is { } l ? string.Create(CultureInfo.InvariantCulture, $" label {l:F4}") : "") +
        (p.RationaleLoss is { } r ? string.Create(CultureInfo.InvariantCulture, $" rationale {r:F4}") : "") +
        string.Create(CultureInfo.InvariantCulture, $" lr {p.LearningRate:G3}") +
        (p.ValidationAccuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $" validation accuracy {a:F4}") : "");
}
