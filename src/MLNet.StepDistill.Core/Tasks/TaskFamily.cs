namespace MLNet.StepDistill.Tasks;

/// <summary>
/// A kind of task, and everything every stage must agree on about it, in one place: its <c>dataset.json</c> name, the
/// shape of its rows (input fields, choices, a closed label set), the student's input format, the teacher's prompt
/// layout and default exemplars, the completion parser, and what its answer is (<see cref="AnswerKind"/>, which decides
/// how two answers compare through <see cref="AnswerComparer"/>, how labels or choices reach the student, and the
/// majority baseline).
/// </summary>
/// <remarks>
/// The four families of the paper are built in (<see cref="MultipleChoiceQa"/>, <see cref="Nli"/>, <see cref="Math"/>,
/// <see cref="Classification"/>). A new kind of task is one subclass and one <see cref="Register"/> call: after that
/// its name works in <c>dataset.json</c>, and annotation, training, evaluation, saved models and the CLI use it like a
/// built-in family. Families are compared by reference: there is one instance per name.
/// </remarks>
/// <example><code>
/// public sealed class YesNoFamily : TaskFamily
/// {
///     public override string Name =&gt; "yes-no";
///     public override TaskAnswerKind AnswerKind =&gt; TaskAnswerKind.Label;
///     public override LabelSetRule LabelSet =&gt; LabelSetRule.Required;
///     public override PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers) =&gt;
///         new("Question: {input}\nA:", " {rationale} " + markers.AnswerMarker + " {label}.");
/// }
/// TaskFamily.Register(new YesNoFamily());   // once, before datasets of the family are opened
/// </code></example>
public abstract class TaskFamily
{
    private static readonly Lock RegistryLock = new();
    private static TaskFamily[] registered = [];

    /// <summary>Multiple-choice QA (e.g. CommonsenseQA): a question with a per-row list of choices; the answer is one choice's text.</summary>
    public static TaskFamily MultipleChoiceQa { get; } = Builtin(new BuiltInFamilies.MultipleChoiceQaFamily());

    /// <summary>Natural language inference (e.g. ANLI, e-SNLI): premise and hypothesis; the answer is one label of a closed set.</summary>
    public static TaskFamily Nli { get; } = Builtin(new BuiltInFamilies.NliFamily());

    /// <summary>Math word problems (e.g. SVAMP): the answer is an arithmetic expression, compared by value.</summary>
    public static TaskFamily Math { get; } = Builtin(new BuiltInFamilies.MathFamily());

    /// <summary>Plain text classification: one text (or several joined by newlines); the answer is a label.</summary>
    public static TaskFamily Classification { get; } = Builtin(new BuiltInFamilies.ClassificationFamily());

    /// <summary>Every known family: the built-in ones, then those registered, in registration order.</summary>
    public static IReadOnlyList<TaskFamily> All => Volatile.Read(ref registered);

    /// <summary>Every valid <c>dataset.json</c> name, for messages.</summary>
    public static IReadOnlyList<string> Names => All.Select(f => f.Name).ToArray();

    /// <summary>Its name in <c>dataset.json</c> and in saved models, e.g. <c>"multiple-choice-qa"</c>: lower case, unique.</summary>
    public abstract string Name { get; }

    /// <summary>What its answer is: a label, a choice, or an equation compared by value.</summary>
    public abstract TaskAnswerKind AnswerKind { get; }

    /// <summary>Whether rows carry answer choices (<see cref="TaskSchema.ChoicesField"/> or <see cref="TaskSchema.ChoiceFields"/>). Default: when the answer is a choice.</summary>
    public virtual bool HasChoices => AnswerKind == TaskAnswerKind.Choice;

    /// <summary>How many input fields a row has, when the family fixes it (NLI: 2); <c>null</c> (default) for any number.</summary>
    public virtual int? InputFieldCount => null;

    /// <summary>Whether <c>dataset.json</c> must, may or must not give a closed label set (<see cref="TaskSchema.Labels"/>). Default: optional for label answers, none otherwise.</summary>
    public virtual LabelSetRule LabelSet => AnswerKind == TaskAnswerKind.Label ? LabelSetRule.Optional : LabelSetRule.None;

    /// <summary>
    /// Where the teacher's few-shot completions hold the answer: the answer marker and the cut (the start of an invented
    /// next exemplar). Default <c>"So the answer is"</c> cut at <c>"Q:"</c>.
    /// </summary>
    public virtual CompletionMarkers DefaultMarkers => new("So the answer is", "Q:");

    /// <summary>The keys an exemplar file may give a family's inputs by (besides <c>"inputs": [...]</c>), one per input field. Default <c>["text"]</c>, or <c>["question"]</c>.</summary>
    public virtual IReadOnlyList<string> ExemplarInputKeys => ["text"];

    /// <summary>The student's input text for a row (the paper's format). Default: the input fields joined by newlines.</summary>
    /// <param name="endOfSequence">The student tokenizer's end-of-sequence text (NLI joins premise and hypothesis with it).</param>
    public virtual ITaskFormat CreateFormat(string endOfSequence = NliFormat.T5EndOfSequence) => new PlainTextFormat();

    /// <summary>
    /// The teacher prompt's layout for the family (question block, exemplar answer block, optional header). The answer
    /// block must use <paramref name="markers"/>' answer marker so the teacher's completion parses with the same rules.
    /// </summary>
    /// <param name="schema">The dataset's schema (its label set, input fields).</param>
    /// <param name="markers">The completion markers in force.</param>
    public abstract PromptTemplate DefaultTemplate(TaskSchema schema, CompletionMarkers markers);

    /// <summary>The default few-shot exemplars for <paramref name="markers"/>; default none (a zero-shot prompt).</summary>
    public virtual IReadOnlyList<PromptExemplar> DefaultExemplars(CompletionMarkers markers) => [];

    /// <summary>
    /// The parser of the teacher's completions. Default: <see cref="LabelSetCompletionParser"/> for labels (with the schema's
    /// label set), <see cref="MultipleChoiceCompletionParser"/> for choices, <see cref="MathCompletionParser"/> for equations.
    /// </summary>
    /// <param name="schema">The dataset's schema (its label set).</param>
    /// <param name="markers">The completion markers; <c>null</c> for <see cref="DefaultMarkers"/>.</param>
    public ICompletionParser CreateParser(TaskSchema schema, CompletionMarkers? markers = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return NewParser(schema, markers ?? DefaultMarkers);
    }

    /// <summary>The parser of <see cref="CreateParser"/>, for the markers in force; override for a family's own answer reading (derive from <see cref="CompletionParser"/>).</summary>
    protected virtual ICompletionParser NewParser(TaskSchema schema, CompletionMarkers markers)
    {
        return AnswerKind switch
        {
            TaskAnswerKind.Choice => new MultipleChoiceCompletionParser(markers),
            TaskAnswerKind.Equation => new MathCompletionParser(markers),
            _ => new LabelSetCompletionParser(markers, schema.Labels),
        };
    }

    /// <summary>True when <paramref name="predicted"/> counts as <paramref name="gold"/> for this family (<see cref="AnswerComparer.Same(TaskAnswerKind, string?, string?)"/> with <see cref="AnswerKind"/>).</summary>
    public bool SameAnswer(string? predicted, string? gold) => AnswerComparer.Same(AnswerKind, predicted, gold);

    /// <summary>The labels the student chooses among when the family has a closed label set (<see cref="TaskAnswerKind.Label"/> and <see cref="TaskSchema.Labels"/> given); otherwise <c>null</c>.</summary>
    public IReadOnlyList<string>? ClosedLabels(TaskSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return AnswerKind == TaskAnswerKind.Label && schema.Labels is { Count: > 0 } labels ? labels : null;
    }

    /// <summary>
    /// Adds a family, so that its <see cref="Name"/> works in <c>dataset.json</c> and saved models. Registering the same
    /// instance again does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, not lower case, or already taken by another family.</exception>
    public static void Register(TaskFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        var name = family.Name;
        if (string.IsNullOrWhiteSpace(name) || name != name.Trim().ToLowerInvariant())
        {
            throw new ArgumentException($"A task family's Name must be lower-case and non-empty, e.g. \"yes-no\"; got \"{name}\".", nameof(family));
        }

        lock (RegistryLock)
        {
            var existing = registered.FirstOrDefault(f => f.Name == name);
            if (ReferenceEquals(existing, family))
            {
                return;
            }

            if (existing is not null)
            {
                throw new ArgumentException($"The task family name \"{name}\" is taken by {existing.GetType().FullName}.", nameof(family));
            }

            Volatile.Write(ref registered, [.. registered, family]);
        }
    }

    /// <summary>Finds a family by its name (case-insensitive); false when no family has it.</summary>
    public static bool TryParse(string? name, out TaskFamily family)
    {
        var match = All.FirstOrDefault(f => string.Equals(f.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        family = match!;
        return match is not null;
    }

    /// <summary>The family with the name <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No family has it (the message lists those that exist and says how to add one).</exception>
    public static TaskFamily Parse(string name) =>
        TryParse(name, out var family)
            ? family
            : throw new ArgumentException($"\"{name}\" is not a task family; use one of {string.Join(", ", Names)} (or register your own with TaskFamily.Register).", nameof(name));

    /// <summary>The family's <see cref="Name"/>.</summary>
    public override string ToString() => Name;

    private static TaskFamily Builtin(TaskFamily family)
    {
        Register(family);
        return family;
    }
}

/// <summary>Whether a task family's <c>dataset.json</c> gives a closed label set (<see cref="TaskSchema.Labels"/>).</summary>
public enum LabelSetRule
{
    /// <summary>No label set: the answer is a choice or an expression.</summary>
    None,

    /// <summary>A label set may be given; without one the student generates its answer as text.</summary>
    Optional,

    /// <summary>A label set must be given.</summary>
    Required,
}
