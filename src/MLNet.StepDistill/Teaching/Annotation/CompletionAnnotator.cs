using MLNet.StepDistill.Tasks;

namespace MLNet.StepDistill.Teaching;

/// <summary>
/// The per-row annotation step: parse a teacher completion with the family's rules and score the teacher's label
/// against the gold target. Small on purpose; prompting, caching and concurrency live with whoever calls it.
/// </summary>
/// <param name="family">The task family (decides how labels are compared, see <see cref="AnswerComparer"/>).</param>
/// <param name="parser">The completion parser.</param>
public sealed class CompletionAnnotator(TaskFamily family, ICompletionParser parser)
{
    /// <summary>The annotator a dataset needs: its family and the parser for its markers and labels.</summary>
    public static CompletionAnnotator For(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new CompletionAnnotator(manifest.Family, manifest.Family.CreateParser(manifest.Schema, manifest.Completion));
    }

    /// <summary>The task family.</summary>
    public TaskFamily Family { get; } = family;

    /// <summary>The completion parser.</summary>
    public ICompletionParser Parser { get; } = parser ?? throw new ArgumentNullException(nameof(parser));

    /// <summary>Parses one completion and scores its label.</summary>
    public AnnotatedExample Annotate(TaskExample example, string completion)
    {
        ArgumentNullException.ThrowIfNull(example);
        var parsed = Parser.Parse(completion, example);
        bool? correct = example.Target is null ? null : parsed.HasLabel && Family.SameAnswer(parsed.Label, example.Target);
        return new AnnotatedExample(example, completion ?? "", parsed, correct);
    }

    /// <summary>
    /// Asks <paramref name="teacher"/> about each row in turn (one sample, greedy) and annotates the first completion.
    /// Meant for recorded teachers and small runs; a chat teacher wants the cached, concurrent annotator.
    /// </summary>
    /// <param name="rows">The rows, annotated in order.</param>
    /// <param name="teacher">The teacher.</param>
    /// <param name="promptFor">The prompt for a row (a recorded teacher reads only its <see cref="TeacherPrompt.RowId"/>).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<IReadOnlyList<AnnotatedExample>> AnnotateAsync(
        IEnumerable<TaskExample> rows, ITeacher teacher, Func<TaskExample, TeacherPrompt> promptFor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(promptFor);
        var sampling = new TeacherSampling();
        var annotated = new List<AnnotatedExample>();
        foreach (var row in rows)
        {
            var completions = await teacher.CompleteAsync(promptFor(row), sampling, cancellationToken).ConfigureAwait(false);
            annotated.Add(Annotate(row, completions.Count > 0 ? completions[0].Text : ""));
        }

        return annotated;
    }
}
