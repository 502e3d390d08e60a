using System.Globalization;
using Microsoft.ML;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Training;
using Spectre.Console;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>Training with a progress bar on the terminal (or quietly, for --json).</summary>
internal static class ProgressBarTraining
{
    /// <summary>Trains, showing a progress bar with the loss unless <paramref name="quiet"/>.</summary>
    public static Seq2SeqStudentTransformer Train(
        MLContext ml, MultiTaskSeq2SeqTrainerOptions options, IDataView train, IDataView? validation, bool quiet, CancellationToken cancellationToken)
    {
        if (quiet)
        {
            return ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train, validation, cancellationToken);
        }

        Seq2SeqStudentTransformer? model = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("training", maxValue: 1);
                var inner = options.Progress;
                options.Progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    inner?.Report(p);
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss.ToString("F3", CultureInfo.InvariantCulture)}";
                });
                model = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train, validation, cancellationToken);
            });
        return model!;
    }
}
