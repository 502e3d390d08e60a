using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Deployment;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The schema shape of a student's output, for the trainer's <c>GetOutputSchema</c>: ML.NET builds shapes only inside its
/// own estimators, so a custom mapping over the same columns (never run) describes them.
/// </summary>
internal static class StudentOutputShape
{
    public static SchemaShape Describe(MLContext mlContext, StudentAnswerSpec spec, SchemaShape inputSchema)
    {
        var input = SchemaDefinition.Create(spec.IsMultipleChoice ? typeof(ChoicesRow) : typeof(TextRow));
        input[nameof(TextRow.Input)].ColumnName = spec.InputColumnName;
        if (spec.IsMultipleChoice)
        {
            input[nameof(ChoicesRow.Choices)].ColumnName = spec.ChoicesColumnName ?? "Choices";
        }

        if (spec.IsOpenTarget)
        {
            var generated = SchemaDefinition.Create(typeof(GeneratedRow));
            generated[nameof(GeneratedRow.PredictedText)].ColumnName = spec.PredictedTextColumnName;
            generated[nameof(GeneratedRow.PredictedRationale)].ColumnName = spec.PredictedRationaleColumnName;
            return mlContext.Transforms.CustomMapping<TextRow, GeneratedRow>((_, _) => { }, null, input, generated).GetOutputSchema(inputSchema);
        }

        var classified = SchemaDefinition.Create(typeof(ClassifiedRow));
        var count = Math.Max(1, spec.IsMultipleChoice ? spec.ChoiceCount : spec.Labels.Length);
        classified[nameof(ClassifiedRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), count);
        classified[nameof(ClassifiedRow.PredictedLabel)].ColumnName = spec.PredictedLabelColumnName;
        classified[nameof(ClassifiedRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, count);
        classified[nameof(ClassifiedRow.Score)].ColumnName = spec.ScoreColumnName;
        classified[nameof(ClassifiedRow.PredictedText)].ColumnName = spec.PredictedTextColumnName;
        classified[nameof(ClassifiedRow.PredictedRationale)].ColumnName = spec.PredictedRationaleColumnName;
        return spec.IsMultipleChoice
            ? mlContext.Transforms.CustomMapping<ChoicesRow, ClassifiedRow>((_, _) => { }, null, input, classified).GetOutputSchema(inputSchema)
            : mlContext.Transforms.CustomMapping<TextRow, ClassifiedRow>((_, _) => { }, null, input, classified).GetOutputSchema(inputSchema);
    }

    private class TextRow
    {
        public string Input { get; set; } = "";
    }

    private sealed class ChoicesRow : TextRow
    {
        public string[] Choices { get; set; } = [];
    }

    private sealed class ClassifiedRow
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];

        public string PredictedText { get; set; } = "";

        public string PredictedRationale { get; set; } = "";
    }

    private sealed class GeneratedRow
    {
        public string PredictedText { get; set; } = "";

        public string PredictedRationale { get; set; } = "";
    }
}
