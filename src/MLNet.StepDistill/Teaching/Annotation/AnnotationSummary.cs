using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>How an annotation run went: rows, parsed completions, failures, and the teacher's accuracy against gold.</summary>
/// <param name="Rows">Rows annotated.</param>
/// <param name="Annotated">Rows whose completion parsed into rationale and label.</param>
/// <param name="ParseFailures">Rows whose completion holds no usable label.</param>
/// <param name="NoLabelFound">Of the failures, rows where no label text was found at all (<see cref="ParsedCompletion.NoLabelFound"/>); the rest were found and rejected.</param>
/// <param name="RowsWithGold">Rows that have a gold target.</param>
/// <param name="TeacherCorrect">Rows whose teacher label matches gold.</param>
/// <param name="TeacherAccuracy"><paramref name="TeacherCorrect"/> / <paramref name="RowsWithGold"/> (parse failures count as wrong), or null when no row has gold.</param>
public sealed record AnnotationSummary(int Rows, int Annotated, int ParseFailures, int NoLabelFound, int RowsWithGold, int TeacherCorrect, double? TeacherAccuracy)
{
    /// <summary>Rows with a label but no rationale (<see cref="ParseStatus.LabelOnly"/>): neither annotated nor failed.</summary>
    public int LabelOnly { get; init; }

    /// <summary>Counts a run's annotated rows.</summary>
    public static AnnotationSummary Compute(IEnumerable<AnnotatedExample> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int total = 0, ok = 0, labelOnly = 0, noLabel = 0, withGold = 0, correct = 0;
        foreach (var row in rows)
        {
            total++;
            ok += row.Parsed.IsOk ? 1 : 0;
            labelOnly += row.Parsed.Status == ParseStatus.LabelOnly ? 1 : 0;
            noLabel += row.Parsed.NoLabelFound ? 1 : 0;
            if (row.TeacherCorrect is { } c)
            {
                withGold++;
                correct += c ? 1 : 0;
            }
        }

        return new AnnotationSummary(total, ok, total - ok - labelOnly, noLabel, withGold, correct, withGold == 0 ? null : (double)correct / withGold) { LabelOnly = labelOnly };
    }
}
