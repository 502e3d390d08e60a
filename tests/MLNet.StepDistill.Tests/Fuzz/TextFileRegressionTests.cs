using System.Numerics;
using System.Text;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.T5;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>The issue's examples of spiece.model, dataset and arithmetic input that was accepted silently or threw a raw exception.</summary>
public sealed class TextFileRegressionTests
{
    private const string Header = "{\"id\": \"r1\", \"question\": \"Q?\", \"choices\": [\"a\", \"b\"], \"answer\": \"a\"}\n";

    [Fact]
    public void A_crafted_SentencePiece_model_of_ten_pieces_parses()
    {
        var model = SentencePieceModelFile.Parse(IssueExamples.SentencePiece(7), "crafted.model");
        Assert.Equal((10, 2, 1, 0, -1), (model.Pieces.Count, model.UnkId, model.EosId, model.PadId, model.BosId));
    }

    [Theory]
    [InlineData(1UL << 63, 1UL, "unk_id")]
    [InlineData((1UL << 32) + 1, 1UL, "unk_id")]
    [InlineData(2UL, 1UL << 63, "eos_id")]
    public void SentencePiece_special_ids_beyond_32_bits_are_errors_not_truncated(ulong unk, ulong eos, string field)
    {
        var error = Assert.Throws<ModelFormatException>(() => SentencePieceModelFile.Parse(IssueExamples.SentencePiece(7, unk, eos), "crafted.model"));
        Assert.Contains("crafted.model", error.Message);
        Assert.Contains($"trainer_spec.{field}", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void SentencePiece_vocabularies_of_three_or_four_pieces_are_rejected(int normal)
    {
        var error = Assert.Throws<ModelFormatException>(() => SentencePieceModelFile.Parse(IssueExamples.SentencePiece(normal), "crafted.model"));
        Assert.Contains($"has {3 + normal} pieces; a usable vocabulary has at least 8", error.Message);
    }

    [Theory]
    [InlineData("\u2581the")]   // a piece our parser reads
    [InlineData("nmt_nfkc")]   // the normalizer's name: Microsoft.ML.Tokenizers 3.0.0 loads it without complaint, our parser checks it
    public void SpieceModel_text_that_is_not_UTF8_is_an_error_naming_the_file(string text)
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(Path.Combine(T5Fixtures.TokenizerFolder("t5_spm800"), "spiece.model"));
        var needle = Encoding.UTF8.GetBytes(text);
        var at = bytes.AsSpan().IndexOf(needle);
        Assert.True(at >= 0);
        bytes[at + needle.Length - 1] = 0xFF;
        var path = folder.File("spiece.model");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<ModelFormatException>(() => T5Tokenizer.FromFile(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Jsonl_field_with_bytes_ED_A0_80_is_an_error_naming_file_line_and_field()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.jsonl");
        var bad = Encoding.UTF8.GetBytes("{\"id\": \"r2\", \"question\": \"Q").Concat(new byte[] { 0xED, 0xA0, 0x80 })
            .Concat(Encoding.UTF8.GetBytes("?\", \"choices\": [\"a\", \"b\"], \"answer\": \"a\"}\n"));
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(Header), .. bad]);
        var error = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema));
        Assert.Equal((path, 2L, "question"), (error.FilePath, error.Line, error.Field));
        Assert.Contains("invalid UTF-8", error.Message);
    }

    [Fact]
    public void Csv_field_with_bytes_ED_A0_80_is_an_error_naming_file_line_and_column()
    {
        using var folder = new TempFolder();
        var path = folder.File("train.csv");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("id,question,choices,answer\r\nr1,Q?,a|b,a\r\nr2,\"Q"), 0xED, 0xA0, 0x80, .. Encoding.UTF8.GetBytes("?\",a|b,a\r\n")]);
        var error = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema));
        Assert.Equal((path, 3L, "question"), (error.FilePath, error.Line, error.Field));
        Assert.Contains("column 2", error.Message);
    }

    [Fact]
    public void Jsonl_lone_surrogate_escape_is_an_error_naming_file_line_and_field()
    {
        var (path, error) = ReadJsonl(Header + "{\"id\": \"r2\", \"question\": \"\\ud800\", \"choices\": [\"a\", \"b\"], \"answer\": \"a\"}\n");
        Assert.Equal((path, 2L, "question"), (error.FilePath, error.Line, error.Field));
        Assert.Contains("surrogate", error.Message);
    }

    [Fact]
    public void Jsonl_duplicate_id_is_an_error_naming_both_lines()
    {
        var (_, error) = ReadJsonl(Header + "\n" + Header);
        Assert.Equal(3L, error.Line);
        Assert.Contains("also the id of line 1", error.Message);
    }

    [Fact]
    public void Csv_duplicate_id_is_an_error_naming_both_lines()
    {
        using var folder = new TempFolder();
        var path = folder.Write("train.csv", "id,question,choices,answer\nr1,Q?,a|b,a\nr1,Q2?,a|b,b\n");
        var error = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema));
        Assert.Equal(3L, error.Line);
        Assert.Contains("also the id of line 2", error.Message);
    }

    [Fact]
    public void Jsonl_empty_id_is_an_error_as_in_CSV()
    {
        var (_, error) = ReadJsonl(Header.Replace("\"r1\"", "\"\"", StringComparison.Ordinal));
        Assert.Equal((1L, "id"), (error.Line, error.Field));
        Assert.Contains("empty id", error.Message);
    }

    [Fact]
    public void Jsonl_duplicate_key_is_an_error_not_last_wins()
    {
        var (_, error) = ReadJsonl("{\"id\": \"r1\", \"question\": \"Q?\", \"question\": \"other\", \"choices\": [\"a\", \"b\"], \"answer\": \"a\"}\n");
        Assert.Equal(1L, error.Line);
        Assert.Contains("a key appears twice", error.Message);
    }

    [Fact]
    public void Csv_duplicate_header_is_an_error_not_first_wins()
    {
        using var folder = new TempFolder();
        var path = folder.Write("train.csv", "id,question,choices,answer,question\nr1,Q?,a|b,a,other\n");
        var error = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema));
        Assert.Equal((1L, "question"), (error.Line, error.Field));
        Assert.Contains("more than once", error.Message);
    }

    [Theory]
    [InlineData("test.jsonl", "")]
    [InlineData("test.jsonl", "\n  \n")]
    [InlineData("test.csv", "id,question,choices,answer\n")]
    public void Empty_split_file_is_an_error(string name, string content)
    {
        using var folder = new TempFolder();
        var path = folder.Write(name, content);
        var error = Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema));
        Assert.Contains("no rows", error.Message);
    }

    [Fact]
    public void Jsonl_syntax_error_names_one_line_number_only()
    {
        var (_, error) = ReadJsonl(string.Concat(Enumerable.Range(1, 4).Select(i => Header.Replace("r1", $"r{i}", StringComparison.Ordinal))) + "{\"id\": \"r5\",, }\n");
        Assert.Equal(5L, error.Line);
        Assert.StartsWith(error.FilePath + " line 5: not valid JSON at byte", error.Message);
        Assert.DoesNotContain("LineNumber", error.Message);
    }

    [Fact]
    public void Manifest_duplicate_key_and_invalid_UTF8_are_errors_naming_the_file()
    {
        using var folder = new TempFolder();
        var text = File.ReadAllText(Path.Combine(RepoPaths.Dataset("cqa"), DatasetManifest.FileName));
        var path = folder.Write(DatasetManifest.FileName, text.Replace("\"name\": \"cqa\",", "\"name\": \"cqa\", \"name\": \"other\",", StringComparison.Ordinal));
        var error = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(path));
        Assert.Contains("a key appears twice", error.Message);

        var bytes = Encoding.UTF8.GetBytes(text);
        var at = bytes.AsSpan().IndexOf("cqa"u8);
        File.WriteAllBytes(path, [.. bytes[..at], 0xED, 0xA0, 0x80, .. bytes[at..]]);
        error = Assert.Throws<DatasetFormatException>(() => DatasetManifest.Load(path));
        Assert.Equal((path, 2L), (error.FilePath, error.Line));
        Assert.Contains("invalid UTF-8", error.Message);
    }

    [Fact]
    public void Every_shipped_dataset_split_still_loads()
    {
        foreach (var name in new[] { "anli1", "cqa", "esnli", "svamp" })
        {
            var dataset = TaskDataset.Open(RepoPaths.Dataset(name));
            foreach (var split in dataset.Manifest.Splits.Keys)
            {
                Assert.NotEmpty(dataset.ReadExamples(split));
            }
        }
    }

    [Fact]
    public void Arithmetic_cancellation_is_exact()
    {
        Assert.True(ArithmeticEvaluator.TryEvaluate("9007199254740993 - 9007199254740992", out var value, out _));
        Assert.Equal(1, value);
    }

    [Fact]
    public void Arithmetic_divisor_that_is_exactly_zero_is_a_division_by_zero()
    {
        Assert.False(ArithmeticEvaluator.TryEvaluate("1/(0.1+0.2-0.3)", out _, out var error));
        Assert.Contains("division by zero", error);
    }

    [Fact]
    public void Arithmetic_zero_times_a_400_digit_number_is_zero()
    {
        Assert.True(ArithmeticEvaluator.TryEvaluate("0 * " + new string('9', 400), out var value, out var error), error);
        Assert.Equal(0, value);
    }

    [Fact]
    public void Arithmetic_huge_but_exact_values_compare_exactly()
    {
        var big = "1" + new string('0', 400);
        Assert.True(ArithmeticEvaluator.ExpressionsMatch(big + " + 1", big));              // within the relative tolerance
        Assert.False(ArithmeticEvaluator.ExpressionsMatch(big + " * 2", big));
        Assert.True(ArithmeticEvaluator.TryEvaluateExact(big + " + 1 - " + big, out var n, out var d, out _));
        Assert.Equal((BigInteger.One, BigInteger.One), (n, d));
        Assert.False(ArithmeticEvaluator.TryEvaluate(big, out _, out var error));
        Assert.Contains("too large for a double", error);
        Assert.False(ArithmeticEvaluator.TryEvaluate(new string('9', 1001), out _, out error));
        Assert.Contains("1001 digits; the limit is 1000", error);
    }

    private static (string Path, DatasetFormatException Error) ReadJsonl(string content)
    {
        using var folder = new TempFolder();
        var path = folder.Write("train.jsonl", content);
        return (path, Assert.Throws<DatasetFormatException>(() => TaskDataset.ReadFile(path, FuzzFixtures.CqaSchema)));
    }
}
