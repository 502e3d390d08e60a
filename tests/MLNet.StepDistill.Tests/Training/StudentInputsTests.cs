using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Training;

public class StudentInputsTests
{
    [Fact]
    public void Annotator_output_becomes_the_papers_inputs_with_the_parsed_teacher_annotation()
    {
        var ml = new MLContext(seed: 1);
        var cqa = TaskDataset.Open(RepoPaths.Dataset("cqa"));
        var test = cqa.LoadSplit(ml, "test");
        var teacher = RecordedTeacher.Open(cqa.Manifest, "test", "palm-540b");

        var annotated = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(cqa.Manifest)).Fit(test).Transform(test);
        var rows = StudentInputs.Read(annotated, cqa.Schema);

        // Expected: the task format and the parser applied directly to each example and its recorded completion.
        var examples = cqa.ReadExamples("test");
        var parser = cqa.Manifest.Family.CreateParser(cqa.Schema, cqa.Manifest.Completion);
        var format = TaskFamily.MultipleChoiceQa.CreateFormat();
        Assert.Equal(examples.Count, rows.Count);
        for (var i = 0; i < examples.Count; i++)
        {
            Assert.True(teacher.TryGetCompletion(examples[i].Id, out var completion));
            var parsed = parser.Parse(completion, examples[i]);
            Assert.Equal(examples[i].Id, rows[i].Id);
            Assert.Equal(format.FormatInput(examples[i]), rows[i].Input);
            Assert.Equal(examples[i].Target, rows[i].Label);
            Assert.Equal(examples[i].Choices, rows[i].Choices);
            Assert.Equal(parsed.Rationale, rows[i].Rationale);
            Assert.Equal(parsed.Label ?? "", rows[i].TeacherLabel);
            Assert.Equal(parsed.IsOk ? AnnotationStatus.Ok : AnnotationStatus.ParseFailed, rows[i].AnnotationStatus);
        }

        Assert.StartsWith(examples[0].Text + "\nAnswer Choices:\n(a) ", rows[0].Input);
    }

    [Fact]
    public void Unannotated_nli_rows_get_the_papers_input_and_no_rationale()
    {
        var ml = new MLContext(seed: 1);
        var esnli = TaskDataset.Open(RepoPaths.Dataset("esnli"));
        var first = esnli.ReadExamples("test")[0];

        var rows = StudentInputs.Read(esnli.LoadSplit(ml, "test"), esnli.Schema);

        Assert.Equal(first.Inputs[0] + "</s>" + first.Inputs[1], rows[0].Input);
        Assert.Equal(first.Target, rows[0].Label);
        Assert.Equal(StudentInputs.NotAnnotated, rows[0].AnnotationStatus);
        Assert.Equal("", rows[0].Rationale);
    }

    [Fact]
    public void Partly_annotated_data_names_the_missing_column()
    {
        var ml = new MLContext(seed: 1);
        var esnli = TaskDataset.Open(RepoPaths.Dataset("esnli"));
        var data = ml.Transforms.CopyColumns("Rationale", esnli.Schema.InputFields[0]).Fit(esnli.LoadSplit(ml, "test")).Transform(esnli.LoadSplit(ml, "test"));

        var error = Assert.Throws<ArgumentException>(() => StudentInputs.Read(data, esnli.Schema));
        Assert.Contains("\"TeacherLabel\"", error.Message);
    }
}
