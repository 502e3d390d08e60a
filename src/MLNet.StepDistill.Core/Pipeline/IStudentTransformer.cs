using Microsoft.ML;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// A distilled student inside ML.NET, whichever runtime answers (TorchSharp's <c>Seq2SeqStudentTransformer</c>, ONNX
/// Runtime's <c>OnnxStudentTransformer</c>): what a server needs to know about it without naming the runtime.
/// </summary>
public interface IStudentTransformer : IArchivedComponent
{
    /// <summary>The classes of the score column (labels, or the choice letters of a multiple-choice student); empty for an open target.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Whether the target is open text (no scores, only the predicted text).</summary>
    bool IsOpenTarget { get; }

    /// <summary>Whether the student scores each row's own choices.</summary>
    bool IsMultipleChoice { get; }

    /// <summary>Whether the student learned rationales (it was not trained in Standard mode).</summary>
    bool CanExplain { get; }

    /// <summary>Whether <c>PredictedRationale</c> is generated.</summary>
    bool GeneratesRationale { get; }

    /// <summary>The text column the student reads (the formatted input).</summary>
    string InputColumnName { get; }

    /// <summary>The text-vector column of a multiple-choice row's choices; null for other students.</summary>
    string? ChoicesColumnName { get; }

    /// <summary>Rows a cursor answers in one forward pass.</summary>
    int PredictionBatchSize { get; }

    /// <summary>The same student generating the rationale (or not): a view sharing this one's weights or sessions.</summary>
    /// <exception cref="ArgumentException">The student was trained in Standard mode and has no rationales to give.</exception>
    IStudentTransformer WithRationale(bool generate = true);
}
