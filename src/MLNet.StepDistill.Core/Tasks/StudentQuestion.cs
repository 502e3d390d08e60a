using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;

namespace MLNet.StepDistill.Tasks;

/// <summary>
/// What a student reads of a row, whichever runtime serves it (TorchSharp or ONNX): the formatted input text and, for
/// multiple-choice students, the row's choices.
/// </summary>
internal sealed record StudentQuestion(string Input, IReadOnlyList<string> Choices)
{
    /// <summary>Checks the input text column (and the text-vector choices column, when given) and reads them from a row.</summary>
    public static BoundInput<StudentQuestion> Bind(DataViewSchema schema, string inputColumn, string? choicesColumn)
    {
        var input = schema.GetColumnOrNull(inputColumn) is { Type: TextDataViewType } text ? text
            : throw new ArgumentOutOfRangeException(nameof(schema), $"The student reads the text column \"{inputColumn}\", which the data lacks or holds as another type (columns: {string.Join(", ", schema.Select(c => $"{c.Name} {c.Type}"))}). Put FormatStudentInput before it.");
        DataViewSchema.Column? choices = null;
        if (choicesColumn is not null)
        {
            choices = schema.GetColumnOrNull(choicesColumn) is { Type: VectorDataViewType { ItemType: TextDataViewType } } vector ? vector
                : throw new ArgumentOutOfRangeException(nameof(schema), $"This student answers multiple-choice rows; the data needs the text-vector choices column \"{choicesColumn}\".");
        }

        return new BoundInput<StudentQuestion>(choices is { } c ? [input, c] : [input], row =>
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

                return new StudentQuestion(value.ToString(), rowChoices);
            };
        });
    }
}
