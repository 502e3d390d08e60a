using System.Reflection;
using Microsoft.ML.Data;

namespace MLNet.StepDistill.Serving;

/// <summary>
/// The checks a request row passes before it is queued: every field the model needs is there and not empty, and no
/// text field (or choice) is longer than the limit. Read through the row class's ML.NET columns.
/// </summary>
internal sealed class RequestFields<TInput>
    where TInput : class
{
    private readonly Field[] fields;
    private readonly int maxLength;

    public RequestFields(SchemaDefinition definition, IReadOnlyList<string> required, int maxLength)
    {
        this.maxLength = maxLength;
        var found = new List<Field>();
        foreach (var column in definition)
        {
            var member = (MemberInfo?)typeof(TInput).GetProperty(column.MemberName) ?? typeof(TInput).GetField(column.MemberName);
            var type = member switch
            {
                PropertyInfo p => p.PropertyType,
                FieldInfo f => f.FieldType,
                _ => null,
            };
            if (type == typeof(string) || type == typeof(string[]))
            {
                Func<TInput, object?> read = member is PropertyInfo property ? property.GetValue : ((FieldInfo)member!).GetValue;
                found.Add(new Field(column.ColumnName, read, required.Contains(column.ColumnName), type == typeof(string[])));
            }
        }

        var missing = required.Where(r => !found.Any(f => f.Name == r)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"{typeof(TInput).Name} has no text column named {string.Join(", ", missing.Select(m => $"\"{m}\""))}, which the model reads " +
                "(add a string property, or string[] for choices, with [ColumnName(\"...\")]).");
        }

        fields = [.. found];
    }

    /// <exception cref="StepDistillRequestException">A required field is missing or empty, or a field is too long.</exception>
    public void Check(TInput row)
    {
        foreach (var field in fields)
        {
            switch (field.Read(row))
            {
                case null when field.Required:
                    throw new StepDistillRequestException(field.Name, $"The field \"{field.Name}\" is missing; this model needs {Needed()}.");
                case null when field.IsList:
                    throw new StepDistillRequestException(field.Name, $"The field \"{field.Name}\" is null; leave it out or send a list.");
                case string text when field.Required && string.IsNullOrWhiteSpace(text):
                    throw new StepDistillRequestException(field.Name, $"The field \"{field.Name}\" is empty; this model needs {Needed()}.");
                case string text when text.Length > maxLength:
                    throw new StepDistillRequestException(field.Name, $"The field \"{field.Name}\" is {text.Length} characters long; the limit is {maxLength}.");
                case string[] items when field.Required && items.Length == 0:
                    throw new StepDistillRequestException(field.Name, $"The field \"{field.Name}\" has no items; this model needs {Needed()}.");
                case string[] items:
                    for (var i = 0; i < items.Length; i++)
                    {
                        if (items[i] is null || (field.Required && string.IsNullOrWhiteSpace(items[i])))
                        {
                            throw new StepDistillRequestException(field.Name, $"Item {i} of the field \"{field.Name}\" is empty.");
                        }

                        if (items[i].Length > maxLength)
                        {
                            throw new StepDistillRequestException(field.Name, $"Item {i} of the field \"{field.Name}\" is {items[i].Length} characters long; the limit is {maxLength}.");
                        }
                    }

                    break;
            }
        }
    }

    private string Needed() => string.Join(", ", fields.Where(f => f.Required).Select(f => $"\"{f.Name}\""));

    private sealed record Field(string Name, Func<TInput, object?> Read, bool Required, bool IsList);
}
