using System.Text;
using MLNet.StepDistill.Cli;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.T5;
using MLNet.StepDistill.Tasks;
using MLNet.StepDistill.Tests.Cli;
using MLNet.StepDistill.Tests.Tasks;
using Xunit;

namespace MLNet.StepDistill.Tests.Fuzz;

/// <summary>Corrupt files through the real `stepdistill` entry point: one line, a documented exit code, never a stack trace.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CliErrorRegressionTests
{
    [Fact]
    public void Evaluate_on_a_model_zip_with_a_flipped_bit_exits_3_with_one_line_and_no_accuracy()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        File.Copy(IssueExamples.ModelZip, zip);
        IssueExamples.FlipBitInStoredEntry(zip, "StepDistill/component_0/model/model.safetensors");

        var (code, error, output) = Run("evaluate", "--model", zip, "--dataset", RepoPaths.Dataset("cqa"), "--limit", "2");

        Assert.Equal(CliErrors.Integrity, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stepdistill: ", error);
        Assert.Contains(zip, error);
        Assert.Contains("CRC-32", error);
        Assert.DoesNotContain("accuracy", output);
    }

    [Fact]
    public void Evaluate_on_a_model_zip_with_a_bad_head_exits_2_and_verbose_adds_the_details()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        IssueExamples.RewriteZip(IssueExamples.ModelZip, zip, (name, bytes) => name.EndsWith("head.json", StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(IssueExamples.EditJson(bytes, h => h["generate_rationale"] = "yes"))
            : bytes);

        var (code, error, _) = Run("evaluate", "--model", zip, "--dataset", RepoPaths.Dataset("cqa"), "--limit", "2");
        Assert.Equal(CliErrors.BadInput, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("head.json", error);
        Assert.DoesNotContain("Unhandled exception", error);

        var (verboseCode, verboseError, _) = Run("evaluate", "--model", zip, "--dataset", RepoPaths.Dataset("cqa"), "--limit", "2", "--verbose");
        Assert.Equal(CliErrors.BadInput, verboseCode);
        Assert.Contains("ModelFormatException", verboseError);
        Assert.True(verboseError.Split('\n').Length > 3);
    }

    [Fact]
    public void Evaluate_on_40_corrupt_model_zips_never_aborts_and_always_prints_one_line()
    {
        using var folder = new TempFolder();
        var zip = folder.File("model.zip");
        var original = File.ReadAllBytes(IssueExamples.ModelZip);
        var codes = new Dictionary<int, int>();
        for (var i = 0; i < 40; i++)
        {
            var rng = new Random(1211 * 1000 + i);
            if (i % 2 == 0)
            {
                File.WriteAllBytes(zip, FuzzMutator.MutateBytes(original, rng));
            }
            else
            {
                var victim = rng.Next(12);
                var index = 0;
                IssueExamples.RewriteZip(IssueExamples.ModelZip, zip, (_, bytes) => index++ == victim ? FuzzMutator.MutateText(bytes, rng) : bytes);
            }

            var (code, error, _) = Run("evaluate", "--model", zip, "--dataset", RepoPaths.Dataset("cqa"), "--limit", "1");
            codes[code] = codes.GetValueOrDefault(code) + 1;
            Assert.True(code is CliErrors.Ok or CliErrors.BadInput or CliErrors.Integrity, $"case {i}: exit {code}: {error}");
            if (code != CliErrors.Ok)
            {
                Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.StartsWith("stepdistill: ", error);
                Assert.Contains(zip, error);
            }
        }

        Assert.True(codes.GetValueOrDefault(CliErrors.Integrity) > 0 && codes.GetValueOrDefault(CliErrors.BadInput) > 0, string.Join(", ", codes));
    }

    [Fact]
    public void Every_library_error_has_a_documented_exit_code()
    {
        Assert.Equal(CliErrors.Integrity, CliErrors.Describe(new InvalidOperationException("x", new FileIntegrityException("m.zip", "bad CRC"))).Code);
        Assert.Equal(CliErrors.BadInput, CliErrors.Describe(new ModelFormatException("m.zip", "bad")).Code);
        Assert.Equal(CliErrors.BadInput, CliErrors.Describe(new DatasetFormatException("d.jsonl", 3, "id", "empty id")).Code);
        Assert.Equal(CliErrors.Environment, CliErrors.Describe(new NativeTorchUnavailableException("libtorch did not load", new DllNotFoundException())).Code);
        Assert.Equal(CliErrors.Interrupted, CliErrors.Describe(new OperationCanceledException()).Code);
        var (code, line) = CliErrors.Describe(new NullReferenceException("boom\nsecond line"));
        Assert.Equal(CliErrors.Internal, code);
        Assert.Equal("stepdistill: internal error (NullReferenceException: boom second line); run again with --verbose for details and report it", line);
    }

    private static (int Code, string Error, string Output) Run(params string[] args)
    {
        var previous = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var (code, error) = ConsoleCollection.RunEntryPoint(args);
            return (code, error, output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
