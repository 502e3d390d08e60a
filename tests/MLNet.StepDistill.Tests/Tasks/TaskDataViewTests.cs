using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Tasks;

public class TaskDataViewTests
{
    [Fact]
    public void Cqa_split_loads_as_text_columns_and_a_choices_vector()
    {
        var view = TaskDataset.Open(RepoPaths.Dataset("cqa")).LoadSplit(new MLContext(seed: 1), "test");

        Assert.Equal(["id", "question", "answer", "choices"], view.Schema.Select(c => c.Name));
        Assert.IsType<TextDataViewType>(view.Schema["question"].Type);
        Assert.IsType<TextDataViewType>(((VectorDataViewType)view.Schema["choices"].Type).ItemType);
        Assert.Equal(1221, view.GetRowCount());
    }

    [Fact]
    public void Cursors_opened_again_and_in_parallel_give_the_same_rows()
    {
        var dataset = TaskDataset.Open(RepoPaths.Dataset("anli1"));
        var view = dataset.LoadSplit(new MLContext(seed: 1), "valid");

        var first = TaskExampleReader.Read(view, dataset.Schema);
        var again = Enumerable.Range(0, 4).AsParallel().Select(_ => TaskExampleReader.Read(view, dataset.Schema)).ToList();

        Assert.Equal(1000, first.Count);
        Assert.All(again, rows => Assert.Equal(first, rows, TaskExampleComparer.Instance));
        Assert.Equal(dataset.ReadExamples("valid"), first, TaskExampleComparer.Instance);
    }

    [Fact]
    public void Ml_net_reads_the_view_through_its_own_api()
    {
        var ml = new MLContext(seed: 1);
        var view = TaskDataset.Open(RepoPaths.Dataset("esnli")).LoadSplit(ml, "valid");

        var labels = view.GetColumn<string>("label").Take(3).ToArray();
        var keyed = ml.Transforms.Conversion.MapValueToKey("label").Fit(view).Transform(view);

        Assert.Equal(["neutral", "entailment", "contradiction"], labels);
        Assert.Equal(3UL, ((KeyDataViewType)keyed.Schema["label"].Type).Count);
    }

    [Fact]
    public void Reading_from_a_view_without_a_schema_column_names_it()
    {
        var cqa = TaskDataset.Open(RepoPaths.Dataset("cqa"));
        var view = cqa.LoadSplit(new MLContext(), "test");

        var ex = Assert.Throws<DatasetFormatException>(() => TaskExampleReader.Read(view, cqa.Schema with { TargetField = "gold" }));

        Assert.Equal("gold", ex.Field);
    }
}
