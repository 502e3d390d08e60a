using Microsoft.Data.Analysis;
using Microsoft.ML;
using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class DataFrameLoaderTests
{
    private static readonly TaskSchema Math = new() { Family = TaskFamily.Math, IdField = "id", InputFields = ["question"], TargetField = "equation" };

    [Fact]
    public void Reads_string_columns_and_numeric_ids()
    {
        var frame = new DataFrame(
            new Int32DataFrameColumn("id", [1, 2]),
            new StringDataFrameColumn("question", ["How many?", "How much?"]),
            new StringDataFrameColumn("equation", ["( 1 + 2 )", "( 3 * 4 )"]));

        var rows = TaskDataset.ReadDataFrame(frame, Math);

        Assert.Equal(["1", "2"], rows.Select(r => r.Id));
        Assert.Equal("How much?", rows[1].Text);
        Assert.Equal("( 3 * 4 )", rows[1].Target);
    }

    [Fact]
    public void A_null_cell_names_row_and_column()
    {
        var frame = new DataFrame(
            new StringDataFrameColumn("id", ["a", "b"]),
            new StringDataFrameColumn("question", ["q", null]),
            new StringDataFrameColumn("equation", ["(1)", "(2)"]));

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadDataFrame(frame, Math));

        Assert.Equal(2, ex.Line);
        Assert.Equal("question", ex.Field);
    }

    [Fact]
    public void A_non_text_input_column_or_a_missing_one_is_named()
    {
        var numbers = new DataFrame(new StringDataFrameColumn("id", ["a"]), new DoubleDataFrameColumn("question", [1.0]), new StringDataFrameColumn("equation", ["(1)"]));
        var missing = new DataFrame(new StringDataFrameColumn("id", ["a"]), new StringDataFrameColumn("equation", ["(1)"]));

        Assert.Equal("question", Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadDataFrame(numbers, Math)).Field);
        Assert.Equal("question", Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadDataFrame(missing, Math)).Field);
    }

    [Fact]
    public void Separated_choices_become_a_text_vector_column_in_the_view()
    {
        var schema = new TaskSchema { Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "options", TargetField = "answer" };
        var frame = new DataFrame(
            new StringDataFrameColumn("id", ["q1"]),
            new StringDataFrameColumn("question", ["Where?"]),
            new StringDataFrameColumn("options", ["park|zoo"]),
            new StringDataFrameColumn("answer", ["zoo"]));

        var view = TaskDataset.ToDataView(TaskDataset.ReadDataFrame(frame, schema), schema);
        var back = TaskExampleReader.Read(view, schema);

        Assert.True(view.Schema["options"].Type is Microsoft.ML.Data.VectorDataViewType);
        Assert.Equal(["park", "zoo"], back[0].Choices);
        Assert.Equal(["park", "zoo"], new MLContext().Data.CreateEnumerable<OptionsRow>(view, reuseRowObject: false).Single().options);
    }

    private sealed class OptionsRow
    {
#pragma warning disable IDE1006 // column name as in the data
        public string[] options { get; set; } = [];
#pragma warning restore IDE1006
    }
}
