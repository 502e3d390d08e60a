using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;

namespace MLNet.StepDistill.Onnx;

/// <summary>What an exported student reads of a row: the input text and, for multiple-choice students, the row's choices.</summary>
internal sealed record OnnxQuestion(string Input, IReadOnlyList<string> Choices)
{
    /// <summary>Checks the input (and choices) columns and reads them from a row.</summary>
    public static BoundInput<OnnxQuestion> Bind(DataViewSchema schema, string inputColumn, string? choicesColumn)
    {
        var input = schema.GetColumnOrNull(inputColumn) is { Type: TextDataViewType } text ? text
            : throw new ArgumentOutOfRangeException(nameof(schema), $"The ONNX student reads the text column \"{inputColumn}\", which the data lacks or holds as another type. Put FormatStudentInput before it.");
        DataViewSchema.Column? choices = null;
        if (choicesColumn is not null)
        {
            choices = schema.GetColumnOrNull(choicesColumn) is { Type: VectorDataViewType { ItemType: TextDataViewType } } vector ? vector
                : throw new ArgumentOutOfRangeException(nameof(schema), $"This ONNX student answers multiple-choice rows; the data needs the text-vector choices column \"{choicesColumn}\".");
        }

        return new BoundInput<OnnxQuestion>(choices is { } c ? [input, c] : [input], row =>
        {
            var getInput = row.GetGetter<ReadOnlyMemory<char>>(input);
            var getChoices = choices is { } column ? row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column) : null;
            ReadOnlyMemory<char> value = default;
            VBuffer<ReadOnlyMemory<char>> options = default;
            return () =>
            {
                getInput(ref value);
                IReadOnlyList<string> rowChoices = [];
                if (getChoices is not null)
                {
                    getChoices(ref options);
                    rowChoices = options.DenseValues().Select(v => v.ToString()).ToArray();
                }

                return new OnnxQuestion(value.ToString(), rowChoices);
            };
        });
    }
}
