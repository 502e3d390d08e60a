using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Evaluation;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;
using Spectre.Console;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>What train, evaluate and distill share: reading annotated splits, options per task family, training with a progress bar, evaluation.</summary>
internal static class StudentExperiment
{
    public static TaskDataset OpenDataset(string command, string? folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new UserFacingException($"{command}: --dataset is required (a folder holding dataset.json, e.g. datasets/cqa)");
        }

        try
        {
            return TaskDataset.Open(folder);
        }
        catch (Exception ex) when (ex is DatasetFormatException or ArgumentException or IOException)
        {
            throw new UserFacingException($"{command}: --dataset: {ex.Message}");
        }
    }

    public static IReadOnlyList<AnnotatedRow> ReadRows(string command, TaskDataset dataset, string split)
    {
        try
        {
            return AnnotatedSplit.Read(dataset, split);
        }
        catch (Exception ex) when (ex is DatasetFormatException or ArgumentException or IOException or KeyNotFoundException)
        {
            throw new UserFacingException($"{command}: {ex.Message}");
        }
    }

    /// <summary>A seeded, reproducible sample of <paramref name="fraction"/> of the rows (at least one).</summary>
    public static IReadOnlyList<AnnotatedRow> Sample(string command, IReadOnlyList<AnnotatedRow> rows, double fraction, int seed)
    {
        if (fraction is <= 0 or > 1)
        {
            throw new UserFacingException($"{command}: --fraction must be in (0, 1], got {fraction.ToString(CultureInfo.InvariantCulture)}");
        }

        var order = rows.ToArray();
        new Random(seed).Shuffle(order);
        return order.Take(Math.Max(1, (int)Math.Round(fraction * rows.Count))).ToArray();
    }

    /// <summary>Options whose answer kind fits the dataset's family: choices for multiple-choice, the label set for NLI and classification, open text for math.</summary>
    public static MultiTaskSeq2SeqTrainer.Options OptionsFor(TaskDataset dataset)
    {
        var options = new MultiTaskSeq2SeqTrainer.Options();
        switch (dataset.Manifest.Family)
        {
            case TaskFamily.MultipleChoiceQa:
                options.ChoicesColumnName = nameof(AnnotatedRow.Choices);
                break;
            case TaskFamily.Nli or TaskFamily.Classification when dataset.Schema.Labels is { Count: > 0 } labels:
                options.Labels = labels.ToArray();
                break;
        }

        return options;
    }

    /// <summary>A training mode as the CLI spells it; <paramref name="flag"/> names the option in the error.</summary>
    public static TrainingMode ParseMode(string value, string flag = "--mode") => value.ToLowerInvariant() switch
    {
        "standard" => TrainingMode.Standard,
        "step-by-step" => TrainingMode.StepByStep,
        "single-task" => TrainingMode.SingleTask,
        _ => throw new UserFacingException($"{flag}: \"{value}\" is not one of standard, step-by-step, single-task"),
    };

    public static LabelSource ParseLabels(string value) => value.ToLowerInvariant() switch
    {
        "gold" => LabelSource.Gold,
        "teacher" => LabelSource.Teacher,
        _ => throw new UserFacingException($"--labels \"{value}\" is not one of gold, teacher"),
    };

    /// <summary>Trains, showing a progress bar with the loss unless <paramref name="quiet"/>.</summary>
    public static Seq2SeqStudentTransformer Train(MLContext ml, MultiTaskSeq2SeqTrainer.Options options, IDataView train, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet)
        {
            return ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train, null, cancellationToken);
        }

        Seq2SeqStudentTransformer? model = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: 1);
                var inner = options.Progress;
                options.Progress = new SyncProgress(p =>
                {
                    inner?.Report(p);
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss.ToString("F3", CultureInfo.InvariantCulture)}";
                });
                model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train, null, cancellationToken);
            });
        return model!;
    }

    /// <summary>Accuracy of a loaded or trained model on annotated rows, with the family's comparison.</summary>
    public static EvaluationSummary Evaluate(MLContext ml, ITransformer model, Seq2SeqStudentTransformer student, TaskDataset dataset, IReadOnlyList<AnnotatedRow> rows)
    {
        var data = AnnotatedSplit.ToDataView(ml, rows);
        if (student.IsOpenTarget)
        {
            var generated = ml.StepDistill().EvaluateGeneratedText(model.Transform(data), compareAsEquations: dataset.Manifest.Family == TaskFamily.Math);
            return new EvaluationSummary(rows.Count, generated.Accuracy, generated.ExactMatchAccuracy, generated.EquationAccuracy, null, null);
        }

        var keyed = student.IsMultipleChoice
            ? ml.StepDistill().MapChoiceLabelToKey(student.ClassNames.Count, "LabelKey", nameof(AnnotatedRow.Label), nameof(AnnotatedRow.Choices)).Fit(data).Transform(data)
            : ml.StepDistill().MapLabelToKey(student.ClassNames.ToArray(), "LabelKey", nameof(AnnotatedRow.Label)).Fit(data).Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keyed), labelColumnName: "LabelKey");
        return new EvaluationSummary(rows.Count, metrics.MicroAccuracy, null, null, metrics.MacroAccuracy, metrics.LogLoss);
    }

    /// <summary>The student inside a pipeline (the last one).</summary>
    public static Seq2SeqStudentTransformer FindStudent(ITransformer model) => model switch
    {
        Seq2SeqStudentTransformer student => student,
        IEnumerable<ITransformer> chain => chain.Reverse().Select(t => t is Seq2SeqStudentTransformer or IEnumerable<ITransformer> ? FindStudent(t) : null).First(s => s is not null)!,
        _ => throw new UserFacingException("the model holds no MLNet.StepDistill student"),
    };

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

/// <summary>What evaluate and distill print.</summary>
internal sealed record EvaluationSummary(int Rows, double Accuracy, double? ExactMatch, double? EquationAccuracy, double? MacroAccuracy, double? LogLoss);
