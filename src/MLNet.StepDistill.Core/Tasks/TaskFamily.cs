namespace MLNet.StepDistill.Tasks;

/// <summary>The kind of task a dataset poses; it decides the input format, the completion parser and label scoring.</summary>
public enum TaskFamily
{
    /// <summary>A question with a per-row list of answer choices; the target is the text of one choice (e.g. CommonsenseQA).</summary>
    MultipleChoiceQa,

    /// <summary>Natural language inference: premise and hypothesis; the target is one label of a closed set (e.g. ANLI, e-SNLI).</summary>
    Nli,

    /// <summary>A math word problem; the target is an arithmetic expression, compared by value (e.g. SVAMP).</summary>
    Math,

    /// <summary>Plain text classification: one text (or several joined by newlines); the target is a label.</summary>
    Classification,
}

/// <summary>The names task families have in <c>dataset.json</c> (<see cref="TaskFamilyDefinition.Name"/>).</summary>
public static class TaskFamilyNames
{
    /// <summary>Every valid name, for error messages.</summary>
    public static IReadOnlyList<string> All { get; } = TaskFamilyDefinition.Families.Select(d => d.Name).ToArray();

    /// <summary>The <c>dataset.json</c> name of a family, e.g. <c>"multiple-choice-qa"</c>.</summary>
    public static string ToName(this TaskFamily family) => TaskFamilyDefinition.For(family).Name;

    /// <summary>Parses a family name (case-insensitive); false when the name is not one of <see cref="All"/>.</summary>
    public static bool TryParse(string? name, out TaskFamily family)
    {
        var match = TaskFamilyDefinition.Families.FirstOrDefault(d => string.Equals(d.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        family = match?.Family ?? default;
        return match is not null;
    }
}
