namespace MLNet.StepDistill.Tasks;

/// <summary>Builds the student's input text from a task row, as the paper formats it.</summary>
public interface ITaskFormat
{
    /// <summary>The input text for one row (without the multi-task prefix; see <see cref="TaskPrefixes"/>).</summary>
    string FormatInput(TaskExample example);
}
