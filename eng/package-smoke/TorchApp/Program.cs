// Serves a model zip (stepdistill train: the input format, then the student) with TorchSharp through ML.NET's
// PredictionEngine, on a raw CommonsenseQA row. Usage: TorchApp <model.zip> <question> <choice|choice|...>
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill;

var ml = new MLContext(0);
var model = ml.StepDistill().LoadModel(args[0], out _);
var engine = ml.Model.CreatePredictionEngine<Question, Answer>(model);
var answer = engine.Predict(new Question { Text = args[1], Choices = args[2].Split('|') });
Console.WriteLine($"prediction {answer.PredictedText}");
// The class names are the Score column's slot names (the labels; for multiple-choice the choice positions a, b, ...).
VBuffer<ReadOnlyMemory<char>> names = default;
engine.OutputSchema["Score"].GetSlotNames(ref names);
var scores = names.DenseValues().Zip(answer.Score, (name, score) => $"{name} {score.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}");
Console.WriteLine($"scores {string.Join(", ", scores)}");
(model as IDisposable)?.Dispose();
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
