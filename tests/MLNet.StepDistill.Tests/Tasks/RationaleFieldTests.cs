using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

/// <summary>A dataset's own rationales (<c>rationaleField</c>): read by every reader, kept as a text column, optional per row.</summary>
public class RationaleFieldTests
{
    private static readonly TaskSchema Nli = new()
    {
        Family = TaskFamily.Nli, IdField = "id", InputFields = ["premise", "hypothesis"], TargetField = "label",
        RationaleField = "explanation", Labels = ["entailment", "neutral", "contradiction"],
    };

    [Fact]
    public void The_manifest_takes_rationaleField_and_the_jsonl_rows_keep_it_with_missing_and_empty_as_none()
    {
        using var temp = new TempFolder();
        var dataset = TaskDataset.Open(OwnRationaleDataset.Write(temp));

        var rows = dataset.ReadExamples("train");

        Assert.Equal("explanation", dataset.Schema.RationaleField);
        Assert.Equal(OwnRationaleDataset.TrainRows, rows.Count);
        Assert.Equal("Playing a guitar on a stage is performing music.", rows[0].Rationale);
        Assert.Null(rows[23].Rationale); // the field is left out of the line
        Assert.Null(rows[26].Rationale); // the field is ""
        Assert.Equal(OwnRationaleDataset.TrainRows - OwnRationaleDataset.TrainRowsWithoutRationale, rows.Count(r => r.Rationale is not null));
    }

    [Fact]
    public void LoadSplit_has_a_text_column_named_as_the_field_and_reads_back_the_same_rationales()
    {
        using var temp = new TempFolder();
        var dataset = TaskDataset.Open(OwnRationaleDataset.Write(temp));
        var ml = new MLContext(seed: 1);

        var view = dataset.LoadSplit(ml, "train");
        var column = view.Schema["explanation"];
        var texts = view.GetColumn<ReadOnlyMemory<char>>(column).Select(t => t.ToString()).ToArray();
        var back = TaskExampleReader.Read(view, dataset.Schema);

        Assert.IsType<TextDataViewType>(column.Type);
        Assert.Equal("Dogs are animals and a snowy field is outside.", texts[3]);
        Assert.Equal("", texts[23]);
        Assert.Equal(dataset.ReadExamples("train").Select(r => r.Rationale), back.Select(r => r.Rationale));
    }

    [Fact]
    public void A_non_string_rationale_names_line_and_field()
    {
        using var temp = new TempFolder();
        var file = temp.Write("bad.jsonl", """
            {"id": "1", "premise": "p", "hypothesis": "h", "label": "neutral", "explanation": "fine"}
            {"id": "2", "premise": "p", "hypothesis": "h", "label": "neutral", "explanation": 3}
            """);

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli));

        Assert.Equal(2, ex.Line);
        Assert.Equal("explanation", ex.Field);
    }

    [Fact]
    public void Csv_reads_the_rationale_column_and_an_empty_cell_is_none()
    {
        using var temp = new TempFolder();
        var file = temp.Write("rows.csv", "id,premise,hypothesis,label,explanation\n1,A dog runs.,An animal moves.,entailment,A dog is an animal.\n2,A dog runs.,A cat sleeps.,neutral,\n");

        var rows = TaskDataset.ReadFile(file, Nli);

        Assert.Equal("A dog is an animal.", rows[0].Rationale);
        Assert.Null(rows[1].Rationale);
    }

    [Fact]
    public void Csv_without_the_declared_rationale_column_names_it()
    {
        using var temp = new TempFolder();
        var file = temp.Write("rows.csv", "id,premise,hypothesis,label\n1,p,h,neutral\n");

        Assert.Equal("explanation", Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli)).Field);
    }

    [Fact]
    public void DataFrame_reads_the_rationale_column_and_a_null_cell_is_none()
    {
        var frame = new DataFrame(
            new StringDataFrameColumn("id", ["1", "2"]),
            new StringDataFrameColumn("premise", ["A dog runs.", "A dog runs."]),
            new StringDataFrameColumn("hypothesis", ["An animal moves.", "A cat sleeps."]),
            new StringDataFrameColumn("label", ["entailment", "neutral"]),
            new StringDataFrameColumn("explanation", ["A dog is an animal.", null]));

        var rows = TaskDataset.ReadDataFrame(frame, Nli);

        Assert.Equal("A dog is an animal.", rows[0].Rationale);
        Assert.Null(rows[1].Rationale);
    }

    [Theory]
    [InlineData("\"rationaleField\": \"label\"", "targetField")]
    [InlineData("\"rationaleField\": \" \"", "rationaleField")]
    public void A_rationale_field_that_clashes_or_is_blank_is_named(string property, string field)
    {
        using var temp = new TempFolder();
        temp.Write("d/dataset.json", $$"""
            { "name": "d", "family": "nli", "idField": "id", "inputFields": ["p", "h"], "targetField": "label",
              "labels": ["yes", "no"], {{property}}, "splits": { "train": "train.jsonl" } }
            """);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(temp.File("d")));

        Assert.Equal(field, ex.Field);
    }
}
