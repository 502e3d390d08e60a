using MLNet.StepDistill.Tests.Architecture.ReaderSubjects.Users;
using Xunit;

namespace MLNet.StepDistill.Tests.Architecture;

/// <summary>The dependency rule's own parts on small inputs: the table reader, its order and cycle checks, the edge check and the IL reader.</summary>
public sealed class DependencyRuleCheckerTests
{
    private const string Heading = "## Namespaces and arrows";

    private static NamespaceTable Table(params string[] rows) =>
        NamespaceTable.Parse($"# Doc\n{Heading}\nSome words.\n\n| namespace | may use |\n| --- | --- |\n{string.Join('\n', rows)}\n\n## Next\n", Heading);

    [Fact]
    public void A_table_reads_names_remarks_all_of_the_above_and_nothing()
    {
        var table = Table(
            "| `Deployment` | nothing (plain data) |",
            "| `T5` | Deployment (the exporter, writes, the manifest) |",
            "| root (`StepDistillCatalog`) | all of the above |");

        Assert.Equal(["Deployment", "T5", "root"], table.Rows.Select(r => r.Name));
        Assert.Empty(table.Rows[0].MayUse);
        Assert.Equal(["Deployment"], table.Rows[1].MayUse);
        Assert.Equal(["Deployment", "T5"], table.Rows[2].MayUse);
        Assert.Empty(table.Problems());
        Assert.True(table.Allows("T5", "Deployment"));
        Assert.False(table.Allows("Deployment", "T5"));
        Assert.True(table.Allows("Deployment", "Deployment"));
    }

    [Fact]
    public void A_cycle_and_a_row_that_uses_a_row_below_it_are_reported()
    {
        var table = Table(
            "| `Deployment` | T5 |",
            "| `T5` | Deployment |",
            "| `Tasks` | T5, Missing |");

        var problems = table.Problems();
        Assert.Contains("cycle: Deployment -> T5 -> Deployment", problems);
        Assert.Contains(problems, p => p.StartsWith("Deployment may use T5, which is not above it", StringComparison.Ordinal));
        Assert.Contains("Tasks may use Missing, which has no row", problems);
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData("# Doc\n## Other\n| namespace | may use |\n| --- | --- |\n| `A` | nothing |\n", "no heading '## Namespaces and arrows'")]
    [InlineData("## Namespaces and arrows\ntext\n## Next\n| namespace | may use |\n", "no table under '## Namespaces and arrows'")]
    [InlineData("## Namespaces and arrows\n| name | uses |\n| --- | --- |\n", "must have the header '| namespace | may use |'")]
    [InlineData("## Namespaces and arrows\n| namespace | may use |\n| --- | --- |\n| `A` | nothing |\n| `B` | A and the catalog |\n", "line 5: 'A and the catalog' in 'A and the catalog' is not a row name")]
    [InlineData("## Namespaces and arrows\n| namespace | may use |\n| --- | --- |\n| `A` | nothing |\n| `A` | nothing |\n", "line 5: the row A is in the table twice")]
    [InlineData("## Namespaces and arrows\n| namespace | may use |\n| --- | --- |\n| two words | nothing |\n", "line 4: 'two words' is not a namespace row name")]
    public void A_table_that_cannot_be_read_says_why(string markdown, string expected)
    {
        var error = Assert.Throws<FormatException>(() => NamespaceTable.Parse(markdown, Heading));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MLNet.StepDistill", "root")]
    [InlineData("MLNet.StepDistill.Tasks", "Tasks")]
    [InlineData("MLNet.StepDistill.T5.Onnx", "T5")]
    [InlineData("MLNet.StepDistillery", null)]
    [InlineData("System.Linq", null)]
    public void A_namespace_belongs_to_the_row_of_its_first_segment(string ns, string? row) =>
        Assert.Equal(row, NamespaceTable.RowOf(ns));

    [Fact]
    public void An_edge_the_table_does_not_allow_is_reported_with_where_it_is_used()
    {
        var table = Table("| `Training` | nothing |", "| `Tasks` | nothing |", "| `Cli` | all of the above |");
        NamespaceReference[] references =
        [
            new("MLNet.StepDistill.Tasks", "MLNet.StepDistill.Training", "Tasks.B.Run uses Training.X"),
            new("MLNet.StepDistill.Tasks", "MLNet.StepDistill.Training", "Tasks.A.Run uses Training.X"),
            new("MLNet.StepDistill.Tasks", "MLNet.StepDistill.Training", "Tasks.A.Run uses Training.X"),
            new("MLNet.StepDistill.Cli.Commands", "MLNet.StepDistill.Tasks", "Cli.Commands.C.Run uses Tasks.A"),
            new("MLNet.StepDistill.Tasks", "MLNet.StepDistill.Cli", "Tasks.A.Report uses Cli.Output"),
        ];

        Assert.Equal(
            ["Tasks -> Cli (via Tasks.A.Report uses Cli.Output)", "Tasks -> Training (via Tasks.A.Run uses Training.X; Tasks.B.Run uses Training.X)"],
            DependencyRule.ForbiddenEdges(table, references));
    }

    [Fact]
    public void A_namespace_without_a_row_and_a_row_without_a_namespace_are_reported()
    {
        var table = Table("| `Tasks` | nothing |", "| `Gone` | Tasks |");
        Assert.Equal(
            [
                "namespace MLNet.StepDistill.Students has no row Students in the table; add one (in order: below every row it uses)",
                "the row Gone names no namespace in the code (MLNet.StepDistill.Gone); remove it or fix its name",
            ],
            DependencyRule.Unmatched(table, ["MLNet.StepDistill.Tasks", "MLNet.StepDistill.Students"]));
    }

    [Theory]
    [InlineData(typeof(PartlyQualifiedCatch))]
    [InlineData(typeof(AliasTypeof))]
    [InlineData(typeof(AttributeArgument))]
    [InlineData(typeof(InLambda))]
    [InlineData(typeof(InAsyncMethod))]
    [InlineData(typeof(GenericArgument))]
    [InlineData(typeof(SignatureOnly))]
    [InlineData(typeof(TypeTest))]
    public void The_IL_reader_sees_a_use_however_the_source_wrote_it(Type user)
    {
        var uses = Uses(user);
        Assert.True(uses.Length > 0, $"{user.Name}: no use of ReaderSubjects.Target seen");
        Assert.All(uses, u => Assert.Contains("Target.Marker", u, StringComparison.Ordinal));
    }

    [Fact]
    public void The_IL_reader_sees_no_use_where_there_is_none() => Assert.Empty(Uses(typeof(NoUse)));

    [Theory]
    [InlineData("A.B, Asm, Version=1.0.0.0", new[] { "A.B" })]
    [InlineData("A.B`1[[C.D+E, Asm2, Version=1.0.0.0],[F, Asm3]][], Asm", new[] { "A.B`1", "C.D+E", "F" })]
    [InlineData("System.Type", new[] { "System.Type" })]
    public void A_serialized_type_name_gives_its_own_and_its_arguments_full_names(string serialized, string[] expected) =>
        Assert.Equal(expected, SerializedTypeName.FullNames(serialized));

    /// <summary>The places in <paramref name="user"/> (nested types included) that use a type of ReaderSubjects.Target.</summary>
    private static string[] Uses(Type user)
    {
        const string subjects = "MLNet.StepDistill.Tests.Architecture.ReaderSubjects";
        var read = NamespaceReferenceReader.Read(typeof(DependencyRuleCheckerTests).Assembly.Location, ns => ns.StartsWith(subjects, StringComparison.Ordinal));
        Assert.Contains(subjects + ".Users", read.Defined);
        return [.. read.References
            .Where(r => r.From == subjects + ".Users" && r.To == subjects + ".Target")
            .Select(r => r.Via)
            .Where(v => v.Split(' ')[0].Split('.', '+').Contains(user.Name))];
    }
}
