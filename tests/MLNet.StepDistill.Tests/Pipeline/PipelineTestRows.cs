using Microsoft.ML.Data;

namespace MLNet.StepDistill.Tests.Pipeline;

/// <summary>A raw e-SNLI row as a serving application holds it (the dataset's own column names).</summary>
public sealed class NliRow
{
    [ColumnName("premise")] public string Premise { get; set; } = "";

    [ColumnName("hypothesis")] public string Hypothesis { get; set; } = "";

    [ColumnName("label")] public string Label { get; set; } = "";
}

/// <summary>A raw CommonsenseQA row as a serving application holds it.</summary>
public sealed class CqaRow
{
    [ColumnName("question")] public string Question { get; set; } = "";

    [ColumnName("choices")] public string[] Choices { get; set; } = [];

    [ColumnName("answer")] public string Answer { get; set; } = "";
}

/// <summary>What a served classifier gives back.</summary>
public sealed class ClassPrediction
{
    public float[] Score { get; set; } = [];

    public string PredictedText { get; set; } = "";
}
