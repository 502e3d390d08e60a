
namespace MLNet.StepDistill.Tasks;

/// <summary>The exemplar files embedded in the library (Teaching/Prompts/*.json), read once.</summary>
internal static class ShippedExemplars
{
    private static readonly Lazy<IReadOnlyList<PromptExemplar>> CqaFile = new(() => Load("cqa.json", TaskFamily.MultipleChoiceQa));
    private static readonly Lazy<IReadOnlyList<PromptExemplar>> SvampFile = new(() => Load("svamp.json", TaskFamily.Math));
    private static readonly Lazy<IReadOnlyList<PromptExemplar>> AnliFile = new(() => Load("anli.json", TaskFamily.Nli));
    private static readonly Lazy<IReadOnlyList<PromptExemplar>> EsnliFile = new(() => Load("esnli.json", TaskFamily.Nli));

    public static IReadOnlyList<PromptExemplar> Cqa => CqaFile.Value;

    public static IReadOnlyList<PromptExemplar> Svamp => SvampFile.Value;

    public static IReadOnlyList<PromptExemplar> Anli => AnliFile.Value;

    public static IReadOnlyList<PromptExemplar> Esnli => EsnliFile.Value;

    private static IReadOnlyList<PromptExemplar> Load(string file, TaskFamily family)
    {
        var name = "MLNet.StepDistill.Tasks.Prompts." + file;
        using var stream = typeof(ShippedExemplars).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded prompt file {name} is missing from the assembly");
        return ExemplarFile.Read(stream, name, family);
    }
}
