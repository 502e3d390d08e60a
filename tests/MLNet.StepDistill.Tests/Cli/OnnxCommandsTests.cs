using System.Text.Json;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>export-onnx, then evaluate and predict with the exported folder: the same numbers as with the model zip.</summary>
public sealed class OnnxCommandsTests(StudentCommandsTests.TrainedModel trained) : IClassFixture<StudentCommandsTests.TrainedModel>
{
    [Fact]
    public void Export_then_evaluate_and_predict_with_the_folder_match_the_model_zip()
    {
        using var temp = new TempFolder();
        var folder = Path.Combine(temp.Path, "student-onnx");
        var exportOutput = new StringWriter();
        Assert.Equal(0, new ExportOnnxCommand(exportOutput).Execute(null!, new ExportOnnxCommand.Settings { Model = trained.ModelPath, Out = folder }, CancellationToken.None));
        Assert.Contains("encoder.onnx", exportOutput.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "decoder.onnx")));

        string Evaluate(string model)
        {
            var output = new StringWriter();
            Assert.Equal(0, new EvaluateCommand(output).Execute(null!, new EvaluateCommand.Settings
            {
                Model = model, Dataset = RepoPaths.Dataset("cqa"), Split = "test", Limit = 6, Json = true,
            }, CancellationToken.None));
            return output.ToString();
        }

        using var fromZip = JsonDocument.Parse(Evaluate(trained.ModelPath));
        using var fromFolder = JsonDocument.Parse(Evaluate(folder));
        Assert.Equal(fromZip.RootElement.GetProperty("accuracy").GetDouble(), fromFolder.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(6, fromFolder.RootElement.GetProperty("scoredRows").GetInt32());
        Assert.Equal(fromZip.RootElement.GetProperty("logLoss").GetDouble(), fromFolder.RootElement.GetProperty("logLoss").GetDouble(), 4);

        string[] Predict(string model)
        {
            var output = new StringWriter();
            Assert.Equal(0, new PredictCommand(output).Execute(null!, new PredictCommand.Settings
            {
                Model = model, Text = "Where do you keep milk?", Choices = "fridge|shelf|car|bed|roof", Rationale = true,
            }, CancellationToken.None));
            return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        Assert.Equal(Predict(trained.ModelPath), Predict(folder));

        // The commands load a model the way Serving does, so a zip of ONNX students (SaveModel of the exported student)
        // evaluates as the folder does, and export-onnx says it holds nothing left to export.
        var onnxZip = Path.Combine(temp.Path, "onnx-student.zip");
        var ml = new Microsoft.ML.MLContext(0);
        using (var onnxStudent = ml.StepDistillOnnx().LoadStudent(folder))
        {
            var inputSchema = ml.Data.LoadFromEnumerable(new[] { new StudentInputRow { Input = "x", Choices = ["a", "b"] } }).Schema;
            ml.StepDistillOnnx().SaveModel(onnxStudent, inputSchema, onnxZip);
        }

        using (var fromOnnxZip = JsonDocument.Parse(Evaluate(onnxZip)))
        {
            Assert.Equal(fromFolder.RootElement.GetProperty("accuracy").GetDouble(), fromOnnxZip.RootElement.GetProperty("accuracy").GetDouble());
            Assert.Equal(fromFolder.RootElement.GetProperty("logLoss").GetDouble(), fromOnnxZip.RootElement.GetProperty("logLoss").GetDouble(), 6);
        }

        var again = Assert.Throws<UserFacingException>(() => new ExportOnnxCommand(new StringWriter()).Execute(null!, new ExportOnnxCommand.Settings { Model = onnxZip, Out = Path.Combine(temp.Path, "again") }, CancellationToken.None));
        Assert.Contains($"--model {onnxZip} holds an ONNX student already", again.Message);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "again")));

        // A file of rows: the folder keeps no input format, so it reads the rows with --dataset's fields.
        var rows = temp.Write("rows.jsonl", string.Join("\n", File.ReadLines(Path.Combine(RepoPaths.Dataset("cqa"), "test.jsonl")).Take(5)));
        var noFormat = Assert.Throws<UserFacingException>(() => new PredictCommand(new StringWriter()).Execute(null!, new PredictCommand.Settings
        {
            Model = folder, Input = rows, Out = temp.File("p.jsonl"),
        }, CancellationToken.None));
        Assert.Contains("give --dataset FOLDER", noFormat.Message);

        JsonElement[] Score(string model, string? dataset)
        {
            var outPath = temp.File($"p-{Guid.NewGuid():N}.jsonl");
            Assert.Equal(0, new PredictCommand(new StringWriter()).Execute(null!, new PredictCommand.Settings
            {
                Model = model, Dataset = dataset, Input = rows, Out = outPath,
            }, CancellationToken.None));
            return File.ReadAllLines(outPath).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        }

        var zipLines = Score(trained.ModelPath, null);
        var folderLines = Score(folder, RepoPaths.Dataset("cqa"));
        Assert.Equal(5, folderLines.Length);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(zipLines[i].GetProperty("label").GetString(), folderLines[i].GetProperty("label").GetString());
            Assert.Equal(zipLines[i].GetProperty("scores").EnumerateObject().Select(p => p.Value.GetSingle()),
                folderLines[i].GetProperty("scores").EnumerateObject().Select(p => p.Value.GetSingle()), (x, y) => Math.Abs(x - y) < 1e-4);
        }
    }

    [Fact]
    public void Predict_with_a_folder_that_is_not_an_export_names_the_missing_manifest()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<UserFacingException>(() => new PredictCommand(new StringWriter()).Execute(null!, new PredictCommand.Settings
        {
            Model = temp.Path, Text = "x",
        }, CancellationToken.None));
        Assert.Contains("manifest.json", error.Message);
        Assert.Contains("--model", error.Message);
    }

    private sealed class StudentInputRow
    {
        public string Input { get; set; } = "";

        public string[] Choices { get; set; } = [];
    }
}
