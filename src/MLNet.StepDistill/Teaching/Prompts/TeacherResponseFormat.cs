namespace MLNet.StepDistill.Teaching;

/// <summary>How the teacher is asked to shape its completion (<see cref="RationaleAnnotatorOptions.ResponseFormat"/>).</summary>
public enum TeacherResponseFormat
{
    /// <summary>Free text, read by the family's parser (the paper's layout or the usual chat phrasings). The default.</summary>
    Text,

    /// <summary>
    /// A JSON object <c>{"rationale": "...", "label": "..."}</c>, enforced by the server through a JSON schema in the
    /// request (OpenAI, Azure OpenAI, vLLM, llama.cpp and Ollama accept one); the label is an enum of the label set, or
    /// of the row's choices. A server that rejects the schema stops the run.
    /// </summary>
    Json,
}

/// <summary>Where the rationales come from (<see cref="RationaleAnnotatorOptions.Rationales"/>).</summary>
public enum RationaleMode
{
    /// <summary>The paper's way: the teacher predicts a label and explains it; its label may be wrong. The default.</summary>
    TeacherLabel,

    /// <summary>
    /// The teacher is told each row's gold label and asked to explain it, so every rationale argues for the gold label
    /// (beyond the paper: for users who have labels and want rationales that agree with them). A completion that argues for
    /// another answer ends <c>filtered</c>; the teacher's accuracy is not measured (it was told the answers).
    /// </summary>
    ExplainGold,
}

/// <summary>The names the CLI and the annotated-rows file give <see cref="RationaleMode"/> values.</summary>
public static class RationaleModeNames
{
    /// <summary><c>teacher-label</c> or <c>explain-gold</c>.</summary>
    public static string ToName(this RationaleMode mode) => mode == RationaleMode.ExplainGold ? "explain-gold" : "teacher-label";

    /// <summary>Reads <c>teacher-label</c> or <c>explain-gold</c> (case-insensitive); false otherwise.</summary>
    public static bool TryParse(string? name, out RationaleMode mode)
    {
        mode = RationaleMode.TeacherLabel;
        switch (name?.Trim().ToLowerInvariant())
        {
            case "teacher-label":
                return true;
            case "explain-gold":
                mode = RationaleMode.ExplainGold;
                return true;
            default:
                return false;
        }
    }
}
