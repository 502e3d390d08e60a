using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Evaluation;
using Xunit;

namespace MLNet.StepDistill.Tests.Evaluation;

public sealed class GeneratedTextAndChoiceLabelTests
{
    private sealed class Generated
    {
        public string Label { get; set; } = "";
        public string PredictedText { get; set; } = "";
    }

    private sealed class Choice
    {
        public string Answer { get; set; } = "";
        public string[] Choices { get; set; } = [];
    }

    private static uint[] RawKeys(IDataView data, string column)
    {
        var keys = new List<uint>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<uint>(data.Schema[column]);
        uint value = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            keys.Add(value);
        }

        return [.. keys];
    }

    [Fact]
    public void EquationAccuracy_ComparesValues_WhileExactMatchComparesText()
    {
        var ml = new MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new Generated { Label = "( 84.0 / 2.0 )", PredictedText = "( 84.0 / 2.0 )" },
            new Generated { Label = "( 7.0 * 30.0 )", PredictedText = "( 30.0 * 7.0 )" },
            new Generated { Label = "( 5.0 - 3.0 )", PredictedText = "( 3.0 - 5.0 )" },
            new Generated { Label = "( 1.0 + 1.0 )", PredictedText = "not an equation" },
        });

        var metrics = ml.StepDistill().EvaluateGeneratedText(data, compareAsEquations: true);

        Assert.Equal(4, metrics.Count);
        Assert.Equal(0.25, metrics.ExactMatchAccuracy);
        Assert.Equal(0.5, metrics.EquationAccuracy);
        Assert.Equal(0.5, metrics.Accuracy);
        Assert.Null(ml.StepDistill().EvaluateGeneratedText(data).EquationAccuracy);
    }

    [Fact]
    public void ChoiceLabels_BecomeTheirPositionKey_WithLetterKeyValues()
    {
        var ml = new MLContext(0);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new Choice { Answer = "bridge", Choices = ["bus depot", "beach", "train station", "bridge", "bridge"] },
            new Choice { Answer = "Park", Choices = ["park", "garden"] },
            new Choice { Answer = "moon", Choices = ["sun", "star"] },
        });

        var mapped = ml.StepDistill().MapChoiceLabelToKey(5, "Label", "Answer", "Choices").Fit(data).Transform(data);

        Assert.Equal([4u, 1u, 0u], RawKeys(mapped, "Label"));
        VBuffer<ReadOnlyMemory<char>> keys = default;
        mapped.Schema["Label"].GetKeyValues(ref keys);
        Assert.Equal(["a", "b", "c", "d", "e"], keys.DenseValues().Select(k => k.ToString()));
    }
}
