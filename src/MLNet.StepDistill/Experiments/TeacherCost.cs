using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Teaching;
using MLNet.StepDistill.Training;

namespace MLNet.StepDistill.Experiments;

/// <summary>
/// What annotating a row costs: the tokens of the teacher's prompt (the dataset's few-shot chain-of-thought prompt for the
/// row) and of its recorded completion, counted with the shipped SentencePiece tokenizer (<c>datasets/tokenizer/spiece.model</c>,
/// 4,000 pieces) over the first <see cref="SampleLimit"/> rows of the training pool. That tokenizer is not the teacher's: a
/// GPT-style BPE vocabulary of 100k+ pieces usually needs fewer tokens for English text, so treat the counts as an upper
/// estimate; <see cref="PromptCharacters"/> / 4 is the other common rule of thumb.
/// </summary>
/// <param name="Rows">Rows measured.</param>
/// <param name="PromptTokens">Mean prompt tokens per row.</param>
/// <param name="CompletionTokens">Mean completion tokens per row.</param>
/// <param name="PromptCharacters">Mean prompt characters per row.</param>
/// <param name="CompletionCharacters">Mean completion characters per row.</param>
/// <param name="PricePerMillionInputTokens">The price given for a million prompt tokens, or null.</param>
/// <param name="PricePerMillionOutputTokens">The price given for a million completion tokens, or null.</param>
public sealed record TeacherCost(
    int Rows, double PromptTokens, double CompletionTokens, double PromptCharacters, double CompletionCharacters,
    double? PricePerMillionInputTokens, double? PricePerMillionOutputTokens)
{
    /// <summary>How many pool rows are tokenised at most (the mean settles well before).</summary>
    public const int SampleLimit = 1000;

    /// <summary>Prompt and completion tokens of one row.</summary>
    public double TokensPerRow => PromptTokens + CompletionTokens;

    /// <summary>The teacher's price for annotating 1,000 rows (one completion each), or null when a price is missing.</summary>
    public double? CostPer1000Rows => PricePerMillionInputTokens is { } input && PricePerMillionOutputTokens is { } output
        ? 1000 * (PromptTokens * input + CompletionTokens * output) / 1e6
        : null;

    /// <summary>Nothing measured (the pool has no recorded completions), with the prices given.</summary>
    internal static TeacherCost None(double? priceIn, double? priceOut) => new(0, 0, 0, 0, 0, priceIn, priceOut);

    internal static TeacherCost Measure(TaskDataset dataset, string trainSplit, IReadOnlyList<AnnotatedRow> pool, double? priceIn, double? priceOut)
    {
        var teacherName = dataset.Manifest.Teachers.Keys.FirstOrDefault(t => dataset.Manifest.Teachers[t].ContainsKey(trainSplit));
        if (teacherName is null)
        {
            return None(priceIn, priceOut);
        }

        var teacher = RecordedTeacher.Open(dataset.Manifest, trainSplit, teacherName);
        var prompt = RationalePrompt.ForDataset(dataset.Manifest);
        var tokenizer = T5Tokenizer.FromFile(ShippedTokenizer.Find());
        var ids = pool.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var measured = dataset.ReadExamples(trainSplit)
            .Where(e => ids.Contains(e.Id))
            .Select(e => (Example: e, Found: teacher.TryGetCompletion(e.Id, out var completion), Completion: completion))
            .Where(x => x.Found)
            .Take(SampleLimit)
            .Select(x =>
            {
                var built = prompt.Build(x.Example);
                var promptText = (built.System is { Length: > 0 } system ? system + "\n" : "") + built.User;
                return (PromptTokens: tokenizer.Encode(promptText, addEos: false).Length, CompletionTokens: tokenizer.Encode(x.Completion, addEos: false).Length,
                    PromptCharacters: promptText.Length, CompletionCharacters: x.Completion.Length);
            })
            .ToArray();
        if (measured.Length == 0)
        {
            return None(priceIn, priceOut);
        }

        return new TeacherCost(measured.Length, measured.Average(m => m.PromptTokens), measured.Average(m => m.CompletionTokens),
            measured.Average(m => m.PromptCharacters), measured.Average(m => m.CompletionCharacters), priceIn, priceOut);
    }
}
