using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class CsvLoaderTests
{
    private static readonly TaskSchema Nli = new()
    {
        Family = TaskFamily.Nli, IdField = "id", InputFields = ["premise", "hypothesis"], TargetField = "label",
        Labels = ["entailment", "neutral", "contradiction"],
    };

    [Fact]
    public void Quoted_fields_keep_commas_doubled_quotes_and_newlines()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.csv",
            "id,premise,hypothesis,label\r\n" +
            "1,\"A man, a plan\",\"He said \"\"hi\"\"\",neutral\r\n" +
            "2,\"line one\nline two\",plain,entailment\n" +
            "3,,\"\",contradiction");

        var rows = TaskDataset.ReadFile(file, Nli);

        Assert.Equal(3, rows.Count);
        Assert.Equal(["A man, a plan", "He said \"hi\""], rows[0].Inputs);
        Assert.Equal(["line one\nline two", "plain"], rows[1].Inputs);
        Assert.Equal("entailment", rows[1].Target);
        Assert.Equal(["", ""], rows[2].Inputs);
        Assert.Equal("contradiction", rows[2].Target);
    }

    [Fact]
    public void Line_numbers_after_an_embedded_newline_count_physical_lines()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.csv", "id,premise,hypothesis,label\n1,\"a\nb\nc\",h,neutral\n2,p,h\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli));

        Assert.Equal(5, ex.Line);
        Assert.Contains("3 fields, but the header has 4 columns", ex.Message);
    }

    [Fact]
    public void Unterminated_quote_names_the_line_it_opened_on()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.csv", "id,premise,hypothesis,label\n1,p,h,neutral\n2,\"never closed,h,neutral\n3,p,h,neutral\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli));

        Assert.Equal(3, ex.Line);
        Assert.Contains("unterminated quoted field", ex.Message);
        Assert.Contains(file, ex.Message);
    }

    [Theory]
    [InlineData("1,\"p\"x,h,neutral", "after a closing quote")]
    [InlineData("1,p\"q,h,neutral", "quote inside an unquoted field")]
    [InlineData("1,p,h,neutral,extra", "5 fields, but the header has 4 columns")]
    [InlineData(",p,h,neutral", "empty id")]
    public void Malformed_records_name_the_line(string record, string problem)
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.csv", "id,premise,hypothesis,label\n" + record + "\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli));

        Assert.Equal(2, ex.Line);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void A_missing_column_names_it_and_lists_the_header()
    {
        using var temp = new TempFolder();
        var file = temp.Write("t.csv", "id,premise,label\n1,p,neutral\n");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(file, Nli));

        Assert.Equal("hypothesis", ex.Field);
        Assert.Contains("the columns are id, premise, label", ex.Message);
    }

    [Fact]
    public void Choices_come_from_one_separated_field_or_from_several_columns()
    {
        using var temp = new TempFolder();
        var one = temp.Write("one.csv", "id,question,choices,answer\nq1,Where?,\"park|garden, center|zoo\",zoo\n");
        var many = temp.Write("many.csv", "id,question,a,b,c,answer\nq1,Where?,park,\"garden, center\",,park\n");
        var oneSchema = new TaskSchema { Family = TaskFamily.MultipleChoiceQa, IdField = "id", InputFields = ["question"], ChoicesField = "choices", TargetField = "answer" };
        var manySchema = oneSchema with { ChoicesField = null, ChoiceFields = ["a", "b", "c"] };

        Assert.Equal(["park", "garden, center", "zoo"], TaskDataset.ReadFile(one, oneSchema)[0].Choices);
        Assert.Equal(["park", "garden, center"], TaskDataset.ReadFile(many, manySchema)[0].Choices);
    }

    [Fact]
    public void A_user_dataset_with_a_csv_split_opens_like_the_shipped_ones()
    {
        using var temp = new TempFolder();
        temp.Write("train.csv", "review_id,text,sentiment\nr1,\"Great, really great\",positive\nr2,Meh,negative\n");
        temp.Write("dataset.json", """
            {
              "name": "reviews",
              "family": "classification",
              "idField": "review_id",
              "inputFields": ["text"],
              "targetField": "sentiment",
              "labels": ["positive", "negative"],
              "splits": { "train": "train.csv" }
            }
            """);

        var rows = TaskDataset.Open(temp.Path).ReadExamples("train");

        Assert.Equal(["r1", "r2"], rows.Select(r => r.Id));
        Assert.Equal("Great, really great", rows[0].Text);
        Assert.Equal("negative", rows[1].Target);
    }
}
