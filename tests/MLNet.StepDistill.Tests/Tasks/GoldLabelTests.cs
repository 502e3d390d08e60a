using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>
/// Gold labels are checked as rows are read, by every reader: a label outside the label set (multiple-choice: none of
/// the row's choices) is an error naming file, line and value, or a dropped row with <see cref="TaskReadOptions.DropUnknownLabels"/>;
/// a label that differs only in case, spaces or a trailing full stop comes back in the label set's own spelling.
/// </summary>
public class GoldLabelTests
{
    private static readonly TaskSchema Mail = new()
    {
        Family = TaskFamily.Classification, IdField = "id", InputFields = ["text"], TargetField = "label", Labels = ["spam", "ham"],
    };

    private static readonly TaskSchema Choices = new()
    {
        Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices", TargetField = "answer",
    };

    private static readonly TaskReadOptions Drop = new() { DropUnknownLabels = true };

    [Fact]
    public void Jsonl_label_outside_the_set_names_file_line_field_and_value()
    {
        using var temp = new TempFolder();
        var file = temp.Write("train.jsonl",
            "{\"id\": \"1\", \"text\": \"win money\", \"label\": \"spam\"}\n\n" +
            "{\"id\": \"2\", \"text\": \"lunch?\", \"label\": \"junk\"}\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Mail));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(3, ex.Line);
        Assert.Equal("label", ex.Field);
        Assert.Contains("label \"junk\" is not in the label set (spam, ham)", ex.Message);
        Assert.Contains("--drop-unknown-labels", ex.Message);
        Assert.StartsWith($"{file} line 3, field \"label\":", ex.Message);
    }

    [Fact]
    public void Csv_label_outside_the_set_names_the_physical_line_of_its_record()
    {
        using var temp = new TempFolder();
        var file = temp.Write("train.csv", "id,text,label\n1,\"two\nlines\",ham\n2,hello,Spam\n3,bye,other\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Mail));

        Assert.Equal(file, ex.FilePath);
        Assert.Equal(5, ex.Line);
        Assert.Equal("label", ex.Field);
        Assert.Contains("label \"other\" is not in the label set", ex.Message);
    }

    [Fact]
    public void Labels_differing_in_case_spaces_or_a_full_stop_come_back_in_the_label_sets_spelling()
    {
        using var temp = new TempFolder();
        var jsonl = temp.Write("t.jsonl",
            "{\"id\": \"1\", \"text\": \"a\", \"label\": \"SPAM\"}\n" +
            "{\"id\": \"2\", \"text\": \"b\", \"label\": \"  Ham. \"}\n" +
            "{\"id\": \"3\", \"text\": \"c\", \"label\": \"\"}\n");
        var csv = temp.Write("t.csv", "id,text,label\n1,a,SPAM\n2,b,  Ham. \n3,c,\n");
        var frame = new DataFrame(
            new StringDataFrameColumn("id", ["1", "2", "3"]),
            new StringDataFrameColumn("text", ["a", "b", "c"]),
            new StringDataFrameColumn("label", ["SPAM", "  Ham. ", ""]));
        var view = new MLContext().Data.LoadFromEnumerable(new[]
        {
            new MailRow { Id = "1", Text = "a", Label = "SPAM" }, new MailRow { Id = "2", Text = "b", Label = "  Ham. " }, new MailRow { Id = "3", Text = "c", Label = "" },
        });

        foreach (var rows in new[] { TaskDataset.ReadFile(jsonl, Mail), TaskDataset.ReadFile(csv, Mail), TaskDataset.ReadDataFrame(frame, Mail), TaskExampleReader.Read(view, Mail) })
        {
            Assert.Equal(["spam", "ham", ""], rows.Select(r => r.Target));   // the empty target is an unlabelled row, kept as it is
            Assert.Empty(rows.DroppedRows);
        }
    }

    [Fact]
    public void DataFrame_and_IDataView_name_the_row_and_the_value()
    {
        var frame = new DataFrame(
            new StringDataFrameColumn("id", ["1", "2"]),
            new StringDataFrameColumn("text", ["a", "b"]),
            new StringDataFrameColumn("label", ["ham", "junk"]));
        var fromFrame = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadDataFrame(frame, Mail));
        Assert.Equal(("DataFrame", 2L, "label"), (fromFrame.FilePath, fromFrame.Line!.Value, fromFrame.Field!));
        Assert.Contains("\"junk\"", fromFrame.Message);

        var view = new MLContext().Data.LoadFromEnumerable(new[] { new MailRow { Id = "1", Text = "a", Label = "junk" } });
        var fromView = Assert.Throws<DatasetFormatException>(() => TaskExampleReader.Read(view, Mail));
        Assert.Equal(("IDataView", 1L, "label"), (fromView.FilePath, fromView.Line!.Value, fromView.Field!));
        Assert.Contains("\"junk\"", fromView.Message);
    }

    [Fact]
    public void An_empty_or_blank_gold_cell_is_an_unlabelled_row()
    {
        var view = new MLContext().Data.LoadFromEnumerable(new[]
        {
            new MailRow { Id = "1", Text = "a", Label = "ham" },
            new MailRow { Id = "2", Text = "b", Label = "" },
            new MailRow { Id = "3", Text = "c", Label = "  " },
        });

        var rows = TaskExampleReader.Read(view, Mail);

        Assert.Equal(["ham", "", "  "], rows.Select(r => r.Target));
        Assert.Equal([true, false, false], rows.Select(r => r.HasTarget));
        Assert.False(new TaskExample("4", ["d"], [], null).HasTarget);
    }

    [Fact]
    public void Drop_unknown_labels_skips_those_rows_and_lists_them_through_the_dataset()
    {
        using var temp = new TempFolder();
        temp.Write("dataset.json", """
            {"name": "mail", "family": "classification", "idField": "id", "inputFields": ["text"], "targetField": "label",
             "labels": ["spam", "ham"], "splits": {"train": "train.jsonl", "test": "test.csv"}}
            """);
        temp.Write("train.jsonl",
            "{\"id\": \"1\", \"text\": \"a\", \"label\": \"ham\"}\n" +
            "{\"id\": \"2\", \"text\": \"b\", \"label\": \"junk\"}\n" +
            "{\"id\": \"3\", \"text\": \"c\", \"label\": \"SPAM\"}\n" +
            "{\"id\": \"4\", \"text\": \"d\", \"label\": \"eggs\"}\n");
        temp.Write("test.csv", "id,text,label\n1,a,junk\n2,b,ham\n");

        Assert.Throws<DatasetFormatException>(() => TaskDataset.Open(temp.Path).ReadExamples("train"));
        var dataset = TaskDataset.Open(temp.Path, Drop);
        var train = dataset.ReadExamples("train");

        Assert.Equal(["1", "3"], train.Select(r => r.Id));
        Assert.Equal(["ham", "spam"], train.Select(r => r.Target));
        Assert.Equal([new DroppedTaskRow(temp.File("train.jsonl"), 2, "2", "junk"), new DroppedTaskRow(temp.File("train.jsonl"), 4, "4", "eggs")], train.DroppedRows);
        Assert.Equal(2, dataset.LoadSplit(new MLContext(), "train").GetRowCount());
        Assert.Equal([2L], dataset.ReadExamples("test").DroppedRows.Select(d => d.Line));
    }

    [Fact]
    public void A_split_whose_every_row_is_dropped_is_an_error()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl", "{\"id\": \"1\", \"text\": \"a\", \"label\": \"junk\"}\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Mail, Drop));

        Assert.Contains("all 1 rows have a gold label outside the label set", ex.Message);
    }

    [Fact]
    public void Multiple_choice_answer_must_be_one_of_the_rows_choices_and_takes_its_spelling()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.jsonl",
            "{\"id\": \"1\", \"question\": \"q\", \"choices\": [\"Red\", \"blue\"], \"answer\": \"red\"}\n" +
            "{\"id\": \"2\", \"question\": \"q\", \"choices\": [\"red\", \"blue\"], \"answer\": \"green\"}\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Choices));
        Assert.Equal((2L, "answer"), (ex.Line!.Value, ex.Field!));
        Assert.Contains("answer \"green\" is none of the row's choices (red, blue)", ex.Message);

        var rows = TaskDataset.ReadFile(file, Choices, Drop);
        Assert.Equal("Red", Assert.Single(rows).Target);
        Assert.Equal("green", Assert.Single(rows.DroppedRows).Label);
    }

    [Theory]
    [InlineData("cqa", "train", 9741)]
    [InlineData("cqa", "test", 1221)]
    [InlineData("esnli", "valid", 9842)]
    [InlineData("esnli", "test", 9824)]
    [InlineData("anli1", "valid", 1000)]
    [InlineData("anli1", "test", 1000)]
    [InlineData("svamp", "train", 800)]
    [InlineData("svamp", "test", 200)]
    public void Every_shipped_split_loads_whole_with_every_gold_label_in_its_set(string name, string split, int rowCount)
    {
        var rows = TaskDataset.Open(RepoPaths.Dataset(name), Drop).ReadExamples(split);

        Assert.Equal(rowCount, rows.Count);
        Assert.Empty(rows.DroppedRows);
    }

    [Fact]
    public void Labels_the_same_after_normalising_are_one_label_twice()
    {
        var schema = Mail with { Labels = ["spam", "Spam."] };

        var ex = Assert.Throws<DatasetFormatException>(() => schema.Validate("dataset.json"));

        Assert.Equal("labels", ex.Field);
        Assert.Contains("appears more than once", ex.Message);
    }

    private sealed class MailRow
    {
        [ColumnName("id")] public string Id { get; set; } = "";

        [ColumnName("text")] public string Text { get; set; } = "";

        [ColumnName("label")] public string Label { get; set; } = "";
    }
}
