using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Onnx;
using MLNet.StepDistill.Recipes;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Fuzz;
using MLNet.StepDistill.Tests.Training;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Onnx;

/// <summary>
/// Students saved before the answer spec had one shape: a model zip's <c>head.json</c> of format 2 and an ONNX
/// manifest's student section of formats 1 and 2 (the texts below are files the code of that time wrote) still load, and
/// answer as the same student saved now.
/// </summary>
[Collection(TorchRandomStateCollection.Name)]
public sealed class OldStudentFormatTests
{
    /// <summary>The head.json of an e-SNLI student saved by the code before the spec (StudentHead, format 2).</summary>
    private const string LabelsHeadFormat2 =
        """{"format_version":2,"mode":1,"answer_kind":0,"labels":["entailment","neutral","contradiction"],"choice_count":0,"input_column":"Input","choices_column":null,"generate_rationale":false,"max_input_length":64,"max_target_length":32,"answer_kind_compared":0,"score_column":"Score","predicted_label_column":"PredictedLabel","predicted_text_column":"PredictedText","predicted_rationale_column":"PredictedRationale","prediction_batch_size":16,"score_aggregation":1}""";

    /// <summary>The head.json of a CQA (multiple-choice) student saved by the code before the spec.</summary>
    private const string ChoicesHeadFormat2 =
        """{"format_version":2,"mode":1,"answer_kind":1,"labels":[],"choice_count":5,"input_column":"Input","choices_column":"Choices","generate_rationale":false,"max_input_length":32,"max_target_length":8,"answer_kind_compared":1,"score_column":"Score","predicted_label_column":"PredictedLabel","predicted_text_column":"PredictedText","predicted_rationale_column":"PredictedRationale","prediction_batch_size":16,"score_aggregation":1}""";

    /// <summary>The student section of a format-2 manifest, as OnnxStudentManifest.Save wrote OnnxStudentFacts for the e-SNLI student.</summary>
    private const string LabelsManifestStudentSection = """
        {
            "mode": "StepByStep",
            "answer_kind": "FixedLabels",
            "task_family": null,
            "labels": [
              "entailment",
              "neutral",
              "contradiction"
            ],
            "choice_count": 0,
            "input_column": "Input",
            "choices_column": null,
            "predict_prefix": "predict: ",
            "explain_prefix": "explain: ",
            "answer_marker": " So the answer is ",
            "max_input_length": 64,
            "max_target_length": 32,
            "generate_rationale": false,
            "score_aggregation": "Mean"
          }
        """;

    /// <summary>The student section of a format-2 manifest for a multiple-choice student (OnnxStudentFacts as saved then).</summary>
    private const string ChoicesManifestStudentSection = """
        {
            "mode": "StepByStep",
            "answer_kind": "Choices",
            "task_family": null,
            "labels": [],
            "choice_count": 5,
            "input_column": "Input",
            "choices_column": "Choices",
            "predict_prefix": "predict: ",
            "explain_prefix": "explain: ",
            "answer_marker": " So the answer is ",
            "max_input_length": 64,
            "max_target_length": 24,
            "generate_rationale": false,
            "score_aggregation": "Sum"
          }
        """;

    private sealed class Answer
    {
        public float[] Score { get; set; } = [];
        public string PredictedText { get; set; } = "";
    }

    [Fact]
    public void Old_heads_and_manifest_sections_read_as_the_spec_with_one_answer_kind()
    {
        var labels = Read(LabelsHeadFormat2);
        Assert.Equal(TaskAnswerKind.Label, labels.AnswerKind);
        Assert.Equal(["entailment", "neutral", "contradiction"], labels.ClassNames);
        Assert.False(labels.IsOpenTarget);
        Assert.Equal((TrainingMode.StepByStep, ScoreAggregation.Mean, 64, 32, 16), (labels.Mode, labels.ScoreAggregation, labels.MaxInputLength, labels.MaxTargetLength, labels.PredictionBatchSize));
        Assert.Equal(labels.ToJson(), Read(LabelsManifestStudentSection).ToJson());

        var choices = Read(ChoicesHeadFormat2);
        Assert.Equal(TaskAnswerKind.Choice, choices.AnswerKind);
        Assert.True(choices.IsMultipleChoice);
        Assert.Equal(["a", "b", "c", "d", "e"], choices.ClassNames);
        Assert.Equal("Choices", choices.ChoicesColumnName);
        var section = Read(ChoicesManifestStudentSection);
        Assert.True(section.IsMultipleChoice);
        Assert.Equal((5, "Choices", ScoreAggregation.Sum), (section.ChoiceCount, section.ChoicesColumnName, section.ScoreAggregation));

        // An old open-text head compared by value stays an equation student.
        var equation = Read(LabelsHeadFormat2.Replace("\"answer_kind\":0", "\"answer_kind\":2").Replace("\"answer_kind_compared\":0", "\"answer_kind_compared\":2").Replace("[\"entailment\",\"neutral\",\"contradiction\"]", "[]"));
        Assert.Equal(TaskAnswerKind.Equation, equation.AnswerKind);
        Assert.True(equation.IsOpenTarget);

        // The current shape: enums by name, and it reads back to itself.
        var json = labels.ToJson();
        Assert.Contains("\"answer_kind\":\"Label\"", json);
        Assert.Contains("\"mode\":\"StepByStep\"", json);
        Assert.Contains($"\"format_version\":{StudentAnswerSpec.CurrentFormatVersion}", json);
        Assert.Equal(json, Read(json).ToJson());
    }

    [Fact]
    public void A_spec_from_a_newer_or_older_format_names_the_version_and_what_to_do()
    {
        var newer = Assert.Throws<JsonException>(() => Read(LabelsHeadFormat2.Replace("\"format_version\":2", "\"format_version\":4")));
        Assert.Contains("format version 4 is newer", newer.Message);
        Assert.Contains("update MLNet.StepDistill", newer.Message);
        var older = Assert.Throws<JsonException>(() => Read(LabelsHeadFormat2.Replace("\"format_version\":2", "\"format_version\":1")));
        Assert.Contains("format version 1 is older", older.Message);
        var unknownKind = Assert.Throws<JsonException>(() => Read(LabelsManifestStudentSection.Replace("\"FixedLabels\"", "\"Ranked\"")));
        Assert.Contains("\"answer_kind\" is \"Ranked\"", unknownKind.Message);
        Assert.Equal("$.answer_kind", unknownKind.Path);
    }

    [Fact]
    public void A_zip_with_a_format_2_head_and_an_export_with_a_format_2_manifest_answer_as_the_student_saved_now()
    {
        var ml = new MLContext(seed: 1);
        var dataset = TrainingFixtures.Dataset("esnli");
        var train = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "valid").Take(32).ToArray());
        var test = AnnotatedSplit.ToDataView(ml, AnnotatedSplit.Read(ml, dataset, "test").Take(6).ToArray());
        var options = new MultiTaskSeq2SeqTrainerOptions
        {
            Method = TrainingMethod.StepByStepGold, Labels = dataset.Schema.Labels!.ToArray(),
            TokenizerPath = TrainingFixtures.TokenizerPath, MaxSteps = 6, BatchSize = 16,
            MaxInputLength = 64, MaxTargetLength = 32, Seed = 5, NumberOfThreads = 1, ScoreAggregation = ScoreAggregation.Mean,
        };
        using var student = ml.StepDistill().Trainers.MultiTaskSeq2Seq(options).Fit(train);
        using var folder = new TempFolder();
        var zip = folder.File("now.zip");
        ml.StepDistill().SaveModel(student, test.Schema, zip);
        // The head saved now is the format 2 head plus the method the student was trained by, which format 2 did not record.
        Assert.Null(Read(LabelsHeadFormat2).Method);
        Assert.Equal((Read(LabelsHeadFormat2) with { Method = "step-by-step-gold" }).ToJson(), Read(ReadEntry(zip, "head.json")).ToJson());
        var expected = Answers(ml, student, test);
        Assert.Contains(expected, e => e.Score.Max() < 0.99f);

        var oldZip = folder.File("old.zip");
        IssueExamples.RewriteZip(zip, oldZip, (name, bytes) => name.EndsWith("head.json", StringComparison.Ordinal) ? System.Text.Encoding.UTF8.GetBytes(LabelsHeadFormat2) : bytes);
        using (var loaded = ml.StepDistill().LoadModel(oldZip, out _))
        {
            AssertSame(expected, Answers(ml, loaded, test), "format-2 head");
        }

        var export = Path.Combine(folder.Path, "onnx");
        student.ExportOnnx(export);
        var manifestPath = Path.Combine(export, OnnxStudentManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        Assert.Equal(OnnxStudentManifest.CurrentFormatVersion, (int)manifest["format_version"]!);
        manifest["format_version"] = 2;
        manifest["student"] = JsonNode.Parse(LabelsManifestStudentSection);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        using var onnx = ml.StepDistillOnnx().LoadStudent(export, new OnnxRuntimeOptions { Threads = 1 });
        Assert.Equal(2, onnx.Student.Model.Manifest.FormatVersion);
        AssertSame(expected, Answers(ml, onnx, test), "format-2 manifest");
    }

    private static StudentAnswerSpec Read(string json) => StudentAnswerSpecJson.Read(JsonDocument.Parse(json).RootElement);

    private static string ReadEntry(string zip, string suffix)
    {
        using var archive = ZipFile.OpenRead(zip);
        using var reader = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Open());
        return reader.ReadToEnd();
    }

    private static Answer[] Answers(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<Answer>(model.Transform(data), reuseRowObject: false).ToArray();

    private static void AssertSame(Answer[] expected, Answer[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].PredictedText, actual[i].PredictedText);
            Assert.Equal(expected[i].Score.Length, actual[i].Score.Length);
            for (var c = 0; c < expected[i].Score.Length; c++)
            {
                Assert.True(Math.Abs(expected[i].Score[c] - actual[i].Score[c]) <= 1e-5, $"{what} row {i} class {c}: now {expected[i].Score[c]}, old format {actual[i].Score[c]}");
            }
        }
    }
}
