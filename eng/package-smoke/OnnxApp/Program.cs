// Serves an exported student (stepdistill export-onnx) through ML.NET's PredictionEngine on a raw CommonsenseQA row
// (the paper's input format in front, as the TorchSharp zip has it), and proves that no libtorch was loaded into the
// process. Usage: OnnxApp <exported folder> <question> <choice|choice|...>
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Tasks;

var ml = new MLContext(0);
using var student = ml.StepDistillOnnx().LoadStudent(args[0]);
var cqa = new TaskSchema { Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices" };
var empty = ml.Data.LoadFromEnumerable(Array.Empty<Question>());
var model = ml.StepDistillOnnx().FormatStudentInput(cqa).Fit(empty).Append(student);
var engine = ml.Model.CreatePredictionEngine<Question, Answer>(model);
var answer = engine.Predict(new Question { Text = args[1], Choices = args[2].Split('|') });
Console.WriteLine($"prediction {answer.PredictedText}");
// The class names are the Score column's slot names (the labels; for multiple-choice the choice positions a, b, ...).
VBuffer<ReadOnlyMemory<char>> names = default;
engine.OutputSchema["Score"].GetSlotNames(ref names);
var scores = names.DenseValues().Zip(answer.Score, (name, score) => $"{name} {score.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}");
Console.WriteLine($"scores {string.Join(", ", scores)}");
if (OperatingSystem.IsLinux())
{
    var torch = File.ReadLines("/proc/self/maps").Where(l => l.Contains("torch", StringComparison.OrdinalIgnoreCase)).ToArray();
    if (torch.Length > 0)
    {
        Console.Error.WriteLine("libtorch was loaded: " + torch[0]);
        return 1;
    }

    Console.WriteLine("no libtorch mapped into the process");
}

return 0;

internal sealed class Question
{
    [ColumnName("question")] public string Text { get; set; } = "";
    [ColumnName("choices")] public string[] Choices { get; set; } = [];
}

internal sealed class Answer
{
    public float[] Score { get; set; } = [];
    public string PredictedText { get; set; } = "";
}
