
namespace MLNet.StepDistill.Tasks;

/// <summary>
/// Splits a teacher's raw completion into rationale and label by its task family's rules. Never throws on a malformed
/// completion: it returns a <see cref="ParseStatus.ParseFailed"/> result with the reason.
/// </summary>
public interface ICompletionParser
{
    /// <summary>Parses the completion the teacher gave for <paramref name="example"/> (the row gives the choices of a multiple-choice question).</summary>
    ParsedCompletion Parse(string? completion, TaskExample example);
}
