namespace MLNet.StepDistill.Teaching;

/// <summary>
/// A teacher: something that answers a few-shot chain-of-thought prompt with raw completion text.
/// The recorded teacher looks the row up in shipped completions; a chat teacher calls an <c>IChatClient</c>.
/// Parsing the completion into rationale and label is not the teacher's job (see the task family's parser).
/// </summary>
public interface ITeacher
{
    /// <summary>
    /// What identifies this teacher's answers for caching: endpoint kind and model id, never a secret.
    /// Two teachers with the same identity give interchangeable completions for the same prompt and sampling.
    /// </summary>
    string CacheIdentity { get; }

    /// <summary>Asks for <see cref="TeacherSampling.Samples"/> completions of one prompt.</summary>
    Task<IReadOnlyList<TeacherCompletion>> CompleteAsync(TeacherPrompt prompt, TeacherSampling sampling, CancellationToken cancellationToken);
}

/// <summary>One prompt for a teacher, as chat messages.</summary>
/// <param name="RowId">The id of the data row the prompt is about (recorded teachers look completions up by it).</param>
/// <param name="System">An optional system message.</param>
/// <param name="User">The user message: few-shot exemplars followed by the row's question.</param>
public sealed record TeacherPrompt(string RowId, string? System, string User)
{
    /// <summary>
    /// The JSON schema the completion must follow (<see cref="TeacherResponseFormat.Json"/>, see <see cref="AnswerSchema"/>),
    /// as JSON text; <c>null</c> (default) for a free-text completion. Part of the cache key when set.
    /// </summary>
    public string? ResponseSchema { get; init; }
}

/// <summary>How a teacher samples.</summary>
/// <param name="Temperature">Sampling temperature; 0 asks for greedy decoding.</param>
/// <param name="MaxOutputTokens">The most tokens a completion may have.</param>
/// <param name="Samples">How many completions to ask for (more than one for self-consistency).</param>
public sealed record TeacherSampling(float Temperature = 0f, int MaxOutputTokens = 256, int Samples = 1);

/// <summary>One completion from a teacher.</summary>
/// <param name="Text">The raw completion text.</param>
/// <param name="PromptTokens">Prompt tokens, when the server reports usage.</param>
/// <param name="CompletionTokens">Completion tokens, when the server reports usage.</param>
public sealed record TeacherCompletion(string Text, int? PromptTokens = null, int? CompletionTokens = null)
{
    /// <summary>True when this completion was answered from the cache (or shared with an identical call in flight), so it cost nothing now.</summary>
    public bool Cached { get; init; }

    /// <summary>True when a provider batch answered it (priced with <see cref="TeacherPrices.BatchDiscount"/>).</summary>
    public bool Batched { get; init; }
}
