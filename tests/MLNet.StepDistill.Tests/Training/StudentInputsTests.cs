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
    public void Annotator_output_becomes_the_same_student_rows_as_the_recorded_split()
    {
        var ml = new MLContext(seed: 1);
        var cqa = TaskDataset.Open(RepoPaths.Dataset("cqa"));
        var test = cqa.LoadSplit(ml, "test");
        var teacher = RecordedTeacher.Open(cqa.Manifest, "test", "palm-540b");

        var annotated = ml.StepDistill().AnnotateRationales(teacher, RationaleAnnotatorOptions.ForDataset(cqa.Manifest)).Fit(test).Transform(test);
        var viaPipeline = StudentInputs.Read(annotated, cqa.Schema);
        var viaSplit = AnnotatedSplit.Read(cqa, "test");

        Assert.Equal(viaSplit.Count, viaPipeline.Count);
        for (var i = 0; i < viaSplit.Count; i++)
        {
            Assert.Equal(viaSplit[i].Id, viaPipeline[i].Id);
            Assert.Equal(viaSplit[i].Input, viaPipeline[i].Input);
            Assert.Equal(viaSplit[i].Label, viaPipeline[i].Label);
            Assert.Equal(viaSplit[i].Choices, viaPipeline[i].Choices);
            Assert.Equal(viaSplit[i].Rationale, viaPipeline[i].Rationale);
            Assert.Equal(viaSplit[i].TeacherLabel, viaPipeline[i].TeacherLabel);
            Assert.Equal(viaSplit[i].AnnotationStatus, viaPipeline[i].AnnotationStatus);
        }
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
