using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Serving;

/// <summary>How a <see cref="StepDistillPredictor{TInput, TOutput}"/> loads its model and gathers requests into batches.</summary>
public sealed class StepDistillPredictorOptions
{
    /// <summary>
    /// A model zip written by <c>SaveModel</c> (or <c>stepdistill train</c>), or a folder written by
    /// <c>stepdistill export-onnx</c>. <c>AddStepDistillPredictor</c> sets it from its argument.
    /// </summary>
    public string ModelPath { get; set; } = "";

    /// <summary>
    /// Most rows answered by one <c>Transform</c>. Default 16, the rows a student answers in one forward pass; a larger
    /// batch is answered in several passes.
    /// </summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// How long the first request of a batch waits for others to join it while another batch keeps the model busy;
    /// when no batch is running, whatever is queued is answered at once, so a lone client never waits. Default 2 ms;
    /// zero never waits. Under load batches fill while the previous ones run, so this matters most between a few and
    /// many clients. Whole milliseconds.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Batches answered at the same time, each on its own thread (one CPU core each with the library's default of one
    /// torch or ONNX Runtime thread per call). Default: the processor count, at most 4.
    /// </summary>
    public int MaxConcurrentBatches { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>Requests waiting for a batch, at most; one more is refused with <see cref="StepDistillOverloadedException"/>. Default 1024.</summary>
    public int MaxQueueLength { get; set; } = 1024;

    /// <summary>
    /// The longest text a request may send in one field (or one choice), in characters; a longer one is refused with
    /// <see cref="StepDistillRequestException"/>. Default 4096. (The student reads at most its <c>MaxInputLength</c>
    /// tokens of the formatted input and cuts the rest.)
    /// </summary>
    public int MaxFieldLength { get; set; } = 4096;

    /// <summary>
    /// The dataset's fields, for an exported ONNX folder (which holds the student alone): the paper's input format is put
    /// in front so requests carry the raw fields (e.g. <c>TaskDataset.Open("datasets/esnli").Schema</c>). Null: the
    /// folder's student reads the formatted <c>Input</c> column. A model zip brings its own format and ignores this.
    /// </summary>
    public TaskSchema? InputSchema { get; set; }

    /// <summary>Where a TorchSharp student runs: <c>"cpu"</c> (default), <c>"cuda"</c>, <c>"cuda:N"</c>, <c>"auto"</c>.</summary>
    public string? Device { get; set; }

    /// <summary>ONNX Runtime settings for an exported folder or a zip of ONNX students. Default: one thread per call, CPU.</summary>
    public OnnxRuntimeOptions? OnnxRuntime { get; set; }

    /// <summary>
    /// Checks the batching and input limits and names the first one out of range. <see cref="ModelPath"/> is checked
    /// where a model is loaded from it (a predictor given a loaded model does not read it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range; the message names it.</exception>
    public void Validate()
    {
        Positive(MaxBatchSize, nameof(MaxBatchSize));
        Positive(MaxConcurrentBatches, nameof(MaxConcurrentBatches));
        Positive(MaxQueueLength, nameof(MaxQueueLength));
        Positive(MaxFieldLength, nameof(MaxFieldLength));
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, $"{nameof(StepDistillPredictorOptions)}.{nameof(MaxWait)} must be between 0 and 10 seconds.");
        }
    }

    /// <summary>Checks that <see cref="ModelPath"/> names something to load.</summary>
    internal void RequireModelPath()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            throw new ArgumentException("StepDistillPredictorOptions.ModelPath must name a model zip or an exported ONNX folder.", nameof(ModelPath));
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(StepDistillPredictorOptions)}.{name} must be at least 1.");
        }
    }
}
