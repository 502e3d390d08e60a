using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Export;

namespace MLNet.StepDistill.Training;

/// <summary>Exports a trained student for serving with ONNX Runtime (the <c>MLNet.StepDistill.Onnx</c> package), without libtorch.</summary>
public static class StudentOnnxExport
{
    /// <summary>
    /// Writes the student's T5 as ONNX graphs with its tokenizer and a manifest of how it answers (mode, classes or open
    /// text, input column, task prefixes, lengths), so that <c>OnnxStudent.Load(folder)</c> answers rows as this
    /// transformer does. See <see cref="T5OnnxExport.ExportOnnx"/> for the files.
    /// </summary>
    /// <exception cref="InvalidOperationException">The student is not a T5 (a scripted test student).</exception>
    public static void ExportOnnx(this Seq2SeqStudentTransformer student, string folder)
    {
        var model = (student.Predictor.Student as T5Student)?.Model
            ?? throw new InvalidOperationException("Only T5 students can be exported to ONNX.");
        T5OnnxExport.Export(model, folder, student.Spec with { GenerateRationale = student.GeneratesRationale });
    }
}
