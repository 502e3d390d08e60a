using Microsoft.ML;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Cli.Commands;

/// <summary>
/// The student a command serves, from either runtime: a model zip (TorchSharp) or a folder written by export-onnx
/// (ONNX Runtime). Both add the same columns; this is what evaluate and predict need to know about them.
/// </summary>
internal sealed class ServedStudent : IDisposable
{
    private readonly Func<ServedStudent> withRationale;
    private readonly IDisposable? owned;

    private ServedStudent(ITransformer student, IReadOnlyList<string> classNames, bool isOpenTarget, bool isMultipleChoice, Func<ServedStudent> withRationale, IDisposable? owned)
    {
        Student = student;
        ClassNames = classNames;
        IsOpenTarget = isOpenTarget;
        IsMultipleChoice = isMultipleChoice;
        this.withRationale = withRationale;
        this.owned = owned;
    }

    /// <summary>The student transformer alone (the zip's, or the ONNX one): what the commands give formatted rows.</summary>
    public ITransformer Student { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public bool IsOpenTarget { get; }

    public bool IsMultipleChoice { get; }

    /// <summary>
    /// The input format saved in front of the student (a model zip that `train` wrote has one): which raw fields a row
    /// has and how they become the student's input. Null for an exported ONNX folder (its rows need --dataset).
    /// </summary>
    public StudentInputFormatter? Format { get; private set; }

    /// <summary>The same student generating rationales (it shares this one's weights or sessions).</summary>
    /// <exception cref="ArgumentException">The student was trained in Standard mode.</exception>
    public ServedStudent WithRationale() => withRationale();

    /// <summary>A model zip's student (found inside its pipeline); the commands give it formatted rows.</summary>
    public static ServedStudent From(Seq2SeqStudentTransformer student, IDisposable? owned = null) =>
        new(student, student.ClassNames, student.IsOpenTarget, student.IsMultipleChoice, () => From(student.WithRationale()), owned);

    /// <summary>An exported folder's student.</summary>
    public static ServedStudent From(OnnxStudentTransformer student, IDisposable? owned = null) =>
        new(student, student.ClassNames, student.IsOpenTarget, student.IsMultipleChoice, () => From(student.WithRationale()), owned);

    /// <summary>Loads <paramref name="path"/>: a folder is an ONNX export, a file a model zip.</summary>
    public static ServedStudent Load(string command, MLContext ml, string path)
    {
        if (Directory.Exists(path))
        {
            try
            {
                var onnx = ml.StepDistillOnnx().LoadStudent(path);
                return From(onnx, owned: onnx);
            }
            catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or InvalidOperationException)
            {
                throw new UserFacingException($"{command}: --model {path}: {ex.Message}");
            }
        }

        // The zip's pipeline may put the input format in front; the commands give the student formatted rows.
        var model = ModelFiles.Load(command, ml, path);
        var student = StudentEvaluation.FindStudent(model);
        var served = From(student, model as IDisposable);
        served.Format = (model as StepDistillModel)?.Find<StudentInputFormatter>();
        return served;
    }

    public void Dispose() => owned?.Dispose();
}
