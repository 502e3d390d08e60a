using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Step two of Distilling Step-by-Step as an ML.NET estimator: trains a T5 student on <c>"predict: x" -&gt; label</c> and
/// <c>"explain: x" -&gt; rationale</c> together (loss = alpha * label loss + (1 - alpha) * rationale loss), or on the
/// label alone (fine-tuning, distillation), or on one joined output (single-task): <see cref="MultiTaskSeq2SeqTrainerOptions.Method"/> says which.
/// Fitting gives a <see cref="Seq2SeqStudentTransformer"/>.
/// </summary>
/// <remarks>
/// Rows whose annotation status is not ok (or whose rationale is empty) have no rationale: they still train the label task
/// when they have a label (with teacher labels they have none, so they train nothing); single-task mode leaves them out.
/// Obtain one with <c>mlContext.StepDistill().Trainers.MultiTaskSeq2Seq(options)</c>.
/// </remarks>
public sealed partial class MultiTaskSeq2SeqTrainer : IEstimator<Seq2SeqStudentTransformer>
{
    /// <summary>
    /// Guards torch's process-wide generator while a run seeds it and initialises its weights; a CPU run then draws its
    /// dropout from a generator of its own (<see cref="T5Student.ForkRandomGenerator"/>) and trains beside other runs. A
    /// run on another device keeps the device's global generator, so it holds the gate for its whole training.
    /// </summary>
    internal static readonly object TorchRandomGate = new();

    private readonly MLContext mlContext;
    private readonly MultiTaskSeq2SeqTrainerOptions options;

    internal MultiTaskSeq2SeqTrainer(MLContext mlContext, MultiTaskSeq2SeqTrainerOptions options)
    {
        this.mlContext = mlContext ?? throw new ArgumentNullException(nameof(mlContext));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> (no validation).</summary>
    public Seq2SeqStudentTransformer Fit(IDataView input) => Fit(input, null, CancellationToken.None);

    /// <summary>
    /// Trains on <paramref name="trainData"/>, validating on <paramref name="validationData"/> (gold labels in
    /// <see cref="MultiTaskSeq2SeqTrainerOptions.LabelColumnName"/>) when given, and stopping at <paramref name="cancellationToken"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A column is missing or mistyped, or the mode learns rationales and no row has one (<see cref="TrainingRowCounts"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; with a checkpoint folder, a run with <see cref="MultiTaskSeq2SeqTrainerOptions.Resume"/> continues from the last checkpoint.</exception>
    public Seq2SeqStudentTransformer Fit(IDataView trainData, IDataView? validationData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        NativeTorch.EnsureLoaded();
        if (options.NumberOfThreads is { } threads)
        {
            TorchThreads.Apply(threads);
        }

        // Like ML.NET's own trainers: a host per fit, whose random source is drawn from the MLContext's (seeded by its seed).
        var host = ((IHostEnvironment)mlContext).Register(nameof(MultiTaskSeq2SeqTrainer));
        var seed = options.Seed ?? host.Rand.Next();
        var device = StudentDevice.Resolve(mlContext, options.Device);
        var read = TrainingRowReader.Read(trainData, options);
        TrainingRowCounts.Of(read, options).ThrowIfNoRationales(options);
        var rows = read.Where(r => MultiTaskStep.Teaches(r, options.Mode, options.Alpha)).ToArray();
        var validation = validationData is null ? null : ReadValidation(validationData);
        var head = CreateHead(trainData.Schema, rows);

        StudentPredictor predictor;
        var holdsGate = false;
        try
        {
            Monitor.Enter(TorchRandomGate, ref holdsGate);
            manual_seed(seed);
            var student = T5Student.Create(options, device);   // the initialisation draws from the seeded global generator
            if (student.ForkRandomGenerator())
            {
                // Dropout now draws from the run's own generator: other runs may seed and initialise meanwhile.
                Monitor.Exit(TorchRandomGate);
                holdsGate = false;
            }

            predictor = new StudentPredictor(student, head);
            try
            {
                CheckFirstTokenScoring(student, head);
                new TrainingLoop(student, predictor, options, seed, host).Run(rows, validation, cancellationToken);
            }
            catch
            {
                student.Dispose();
                throw;
            }
        }
        finally
        {
            if (holdsGate)
            {
                Monitor.Exit(TorchRandomGate);
            }
        }

        return new Seq2SeqStudentTransformer(mlContext, predictor, options.GenerateRationale);
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var labels = options.Labels;
        if (labels is null && options.ChoicesColumnName is null && inputSchema.FirstOrDefault(c => c.Name == options.LabelColumnName) is { IsKey: true } key)
        {
            // The classes of a key label are known only with the data; its count is what the schema shape needs.
            labels = key.Annotations.Any(a => a.Name == "KeyValues") ? ["?", "?"] : null;
        }

        var head = new StudentAnswerSpec
        {
            AnswerKind = StudentAnswerSpec.AnswerKindFor(scoresRowChoices: options.ChoicesColumnName is not null, options.AnswerKind ?? TaskAnswerKind.Label),
            Labels = options.ChoicesColumnName is not null ? [] : labels ?? [],
            ChoiceCount = 2,
            InputColumnName = options.InputColumnName,
            ChoicesColumnName = options.ChoicesColumnName,
        };
        return Seq2SeqStudentTransformer.DescribeOutput(mlContext, WithColumnNames(head), inputSchema);
    }

    private IReadOnlyList<TrainingRow> ReadValidation(IDataView data)
    {
        var goldOptions = new MultiTaskSeq2SeqTrainerOptions
        {
            InputColumnName = options.InputColumnName,
            LabelColumnName = options.LabelColumnName,
            Method = TrainingMethod.FineTuning, // the gold label alone
            ChoicesColumnName = options.ChoicesColumnName,
        };
        return TrainingRowReader.Read(data, goldOptions).Where(r => r.Label is not null).ToArray();
    }

    /// <summary>
    /// How the trained student answers: its classes (<see cref="MultiTaskSeq2SeqTrainerOptions.Labels"/>, else a key label's key values), or the
    /// choice positions, or open text; how answers compare; its column names.
    /// </summary>
    private StudentAnswerSpec CreateHead(DataViewSchema schema, IReadOnlyList<TrainingRow> rows)
    {
        var keyClasses = TrainingRowReader.KeyClasses(schema, options.LabelColumnName, nameof(MultiTaskSeq2SeqTrainerOptions.LabelColumnName));
        if (options.ChoicesColumnName is not null)
        {
            keyClasses = null;
        }

        if (options.Labels is { } given && keyClasses is not null && !given.SequenceEqual(keyClasses))
        {
            throw new ArgumentException(
                $"MultiTaskSeq2SeqTrainerOptions.{nameof(MultiTaskSeq2SeqTrainerOptions.Labels)} ({string.Join(", ", given)}) differs from the key values of label column \"{options.LabelColumnName}\" " +
                $"({string.Join(", ", keyClasses)}); leave Labels unset to take the key's classes.");
        }

        var labels = options.Labels ?? keyClasses;
        var scoresRowChoices = labels is not { Length: > 0 } && options.ChoicesColumnName is not null;
        return WithColumnNames(new StudentAnswerSpec
        {
            Mode = options.Mode,
            Method = TrainingMethods.Name(options.Method),
            AnswerKind = StudentAnswerSpec.AnswerKindFor(scoresRowChoices, options.AnswerKind ?? AnswerKindOf(schema)),
            Labels = labels ?? [],
            ChoiceCount = scoresRowChoices ? Math.Max(1, rows.Select(r => r.Choices.Count).DefaultIfEmpty(0).Max()) : 0,
            InputColumnName = options.InputColumnName,
            ChoicesColumnName = options.ChoicesColumnName,
            MaxInputLength = options.MaxInputLength,
            MaxTargetLength = options.MaxTargetLength,
            ScoreAggregation = options.ScoreAggregation,
        });
    }

    /// <summary>
    /// <see cref="ScoreAggregation.FirstToken"/> tells candidates apart by their first token, so it needs a label set whose
    /// labels begin with different tokens, scored without a rationale before them.
    /// </summary>
    private static void CheckFirstTokenScoring(T5Student student, StudentAnswerSpec head)
    {
        if (head.ScoreAggregation != ScoreAggregation.FirstToken)
        {
            return;
        }

        const string option = $"MultiTaskSeq2SeqTrainerOptions.{nameof(MultiTaskSeq2SeqTrainerOptions.ScoreAggregation)} = {nameof(ScoreAggregation.FirstToken)}";
        if (head.IsMultipleChoice || head.IsOpenTarget || head.Mode == TrainingMode.SingleTask)
        {
            throw new ArgumentException(head.Mode == TrainingMode.SingleTask
                ? $"{option} does not suit single-task students (every label follows the same generated rationale); use Mean or Sum."
                : $"{option} needs a fixed label set; {(head.IsMultipleChoice ? "multiple-choice" : "open-text")} answers are not one (multiple-choice choices vary by row); use Mean or Sum.");
        }

        var first = new Dictionary<int, string>();
        foreach (var label in head.Labels)
        {
            var token = student.CandidateTokens.Get(label)[0];
            if (!first.TryAdd(token, label))
            {
                throw new ArgumentException($"{option} needs labels that begin with different tokens; \"{first[token]}\" and \"{label}\" both begin with token {token}; use Mean or Sum.");
            }
        }
    }

    private StudentAnswerSpec WithColumnNames(StudentAnswerSpec head) => head with
    {
        ScoreColumnName = options.ScoreColumnName,
        PredictedLabelColumnName = options.PredictedLabelColumnName,
        PredictedTextColumnName = options.PredictedTextColumnName,
        PredictedRationaleColumnName = options.PredictedRationaleColumnName,
        PredictionBatchSize = options.PredictionBatchSize,
    };

    /// <summary>The task's answer kind from the input column's annotation (FormatStudentInput sets it), else by the options' shape.</summary>
    private TaskAnswerKind AnswerKindOf(DataViewSchema schema)
    {
        if (schema.GetColumnOrNull(options.InputColumnName) is { } input &&
            input.Annotations.Schema.GetColumnOrNull(StudentInputFormatter.AnswerKindAnnotation) is { Type: TextDataViewType } annotation)
        {
            ReadOnlyMemory<char> value = default;
            input.Annotations.GetGetter<ReadOnlyMemory<char>>(annotation)(ref value);
            if (Enum.TryParse<TaskAnswerKind>(value.ToString(), out var kind))
            {
                return kind;
            }
        }

        return options.ChoicesColumnName is not null ? TaskAnswerKind.Choice : TaskAnswerKind.Label;
    }
}
