using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.StepDistill.Pipeline;

namespace MLNet.StepDistill.Training;

/// <summary>What a student reads of a row: the input text and, for multiple-choice students, the row's choices.</summary>
internal sealed record StudentQuestion(string Input, IReadOnlyList<string> Choices)
{
    /// <summary>Checks the input (and choices) columns the head names and reads them from a row.</summary>
    public static BoundInput<StudentQuestion> Bind(DataViewSchema schema, StudentHead head)
    {
        var input = schema.GetColumnOrNull(head.InputColumnName) is { Type: TextDataViewType } text ? text
            : throw new ArgumentOutOfRangeException(nameof(schema), $"The student reads the text column \"{head.InputColumnName}\", which the data lacks or holds as another type (columns: {string.Join(", ", schema.Select(c => $"{c.Name} {c.Type}"))}). Put FormatStudentInput before it.");
        if (head.Kind != AnswerKind.Choices)
        {
            return new BoundInput<StudentQuestion>([input], row =>
            {
                var get = row.GetGetter<ReadOnlyMemory<char>>(input);
                ReadOnlyMemory<char> value = default;
                return () =>
                {
                    get(ref value);
                    return new StudentQuestion(value.ToString(), []);
                };
            });
        }

        var choicesName = head.ChoicesColumnName ?? "Choices";
        var choices = schema.GetColumnOrNull(choicesName) is { Type: VectorDataViewType { ItemType: TextDataViewType } } vector ? vector
            : throw new ArgumentOutOfRangeException(nameof(schema), $"This student answers multiple-choice rows; the data needs the text-vector choices column \"{choicesName}\".");
        return new BoundInput<StudentQuestion>([input, choices], row =>
        {
            var getInput = row.GetGetter<ReadOnlyMemory<char>>(input);
            var getChoices = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(choices);
            ReadOnlyMemory<char> value = default;
            VBuffer<ReadOnlyMemory<char>> options = default;
            return () =>
            {
                getInput(ref value);
                getChoices(ref options);
                return new StudentQuestion(value.ToString(), options.DenseValues().Select(v => v.ToString()).ToArray());
            };
        });
    }
}
