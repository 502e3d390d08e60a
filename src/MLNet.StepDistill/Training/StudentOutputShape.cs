using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The schema shape of a student's output, for the trainer's <c>GetOutputSchema</c>: ML.NET builds shapes only inside its
/// own estimators, so a custom mapping over the same columns (never run) describes them.
/// </summary>
internal static class StudentOutputShape
{
    public static SchemaShape Describe(MLContext mlContext, StudentHead head, SchemaShape inputSchema)
    {
        var input = SchemaDefinition.Create(head.Kind == AnswerKind.Choices ? typeof(ChoicesRow) : typeof(TextRow));
        input[nameof(TextRow.Input)].ColumnName = head.InputColumnName;
        if (head.Kind == AnswerKind.Choices)
        {
            input[nameof(ChoicesRow.Choices)].ColumnName = head.ChoicesColumnName ?? "Choices";
        }

        if (head.Kind == AnswerKind.OpenText)
        {
            var generated = SchemaDefinition.Create(typeof(GeneratedRow));
            generated[nameof(GeneratedRow.PredictedText)].ColumnName = head.PredictedTextColumnName;
            generated[nameof(GeneratedRow.PredictedRationale)].ColumnName = head.PredictedRationaleColumnName;
            return mlContext.Transforms.CustomMapping<TextRow, GeneratedRow>((_, _) => { }, null, input, generated).GetOutputSchema(inputSchema);
        }

        var classified = SchemaDefinition.Create(typeof(ClassifiedRow));
        var count = Math.Max(1, head.Kind == AnswerKind.Choices ? head.ChoiceCount : head.Labels.Length);
        classified[nameof(ClassifiedRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), count);
        classified[nameof(ClassifiedRow.PredictedLabel)].ColumnName = head.PredictedLabelColumnName;
        classified[nameof(ClassifiedRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, count);
        classified[nameof(ClassifiedRow.Score)].ColumnName = head.ScoreColumnName;
        classified[nameof(ClassifiedRow.PredictedText)].ColumnName = head.PredictedTextColumnName;
        classified[nameof(ClassifiedRow.PredictedRationale)].ColumnName = head.PredictedRationaleColumnName;
        return head.Kind == AnswerKind.Choices
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
