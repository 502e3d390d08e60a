using System.Diagnostics;
using System.IO.Compression;
using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.Tests.Tasks;
using MLNet.StepDistill.Training;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>
/// A real interruption: `stepdistill train` in its own process is killed (SIGKILL) after its first checkpoint, then
/// restarted with --resume; the student it saves is byte for byte the one an uninterrupted run saves. A resume from
/// the final checkpoint trains nothing and reports <c>"steps":0,"firstStep":Steps+1</c>.
/// </summary>
public sealed class TrainKillAndResumeTests
{
    private const int Steps = 16;

    [Fact]
    public async Task A_killed_training_process_resumed_from_its_checkpoint_saves_the_same_student()
    {
        using var temp = new TempFolder();
        var uninterrupted = Path.Combine(temp.Path, "uninterrupted.zip");
        var resumed = Path.Combine(temp.Path, "resumed.zip");
        var checkpoints = Path.Combine(temp.Path, "checkpoints");

        var (code, whole) = await RunToEndAsync(TrainArgs(uninterrupted, Path.Combine(temp.Path, "other-checkpoints")));
        Assert.Equal(0, code);
        Assert.Equal((Steps, 1), Trained(whole));

        using (var victim = Start(TrainArgs(resumed, checkpoints)))
        {
            var checkpoint = TrainingCheckpoint.PathIn(checkpoints);
            var waited = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !victim.HasExited && waited.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(5);
            }

            Assert.True(File.Exists(checkpoint), "the training process wrote no checkpoint");
            Assert.False(victim.HasExited, "the run ended before it could be killed: make it longer");
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
        }

        Assert.False(File.Exists(resumed), "the killed run must not have saved a model");
        var (resumedCode, rest) = await RunToEndAsync([.. TrainArgs(resumed, checkpoints), "--resume"]);
        Assert.Equal(0, resumedCode);

        // It trained only the steps after its last checkpoint (an even step, at least the first one at step 2) ...
        var (steps, firstStep) = Trained(rest);
        Assert.True(firstStep > 2 && firstStep % 2 == 1 && steps == Steps - firstStep + 1, $"resumed run trained {steps} steps from step {firstStep}");
        // ... and ended where the uninterrupted run did.
        Assert.Equal(StudentWeights(uninterrupted), StudentWeights(resumed));

        // Resumed once more, from the final checkpoint: no step left, and the report says where it would have started.
        var again = Path.Combine(temp.Path, "again.zip");
        var (_, none) = await RunToEndAsync([.. TrainArgs(again, checkpoints), "--resume"]);
        Assert.Equal((0, Steps + 1), Trained(none));
        Assert.Equal(StudentWeights(uninterrupted), StudentWeights(again));
    }

    private static string[] TrainArgs(string output, string checkpoints) =>
    [
        "train", "--dataset", RepoPaths.Dataset("cqa"), "--method", "step-by-step-teacher", "--student", "tiny",
        "--fraction", "0.01", "--steps", Steps.ToString(), "--batch-size", "4", "--max-input", "48", "--max-target", "16",
        "--seed", "11", "--checkpoint-dir", checkpoints, "--checkpoint-every", "2", "--out", output, "--json",
    ];

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(CommandRegistry).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static async Task<(int Code, string Output)> RunToEndAsync(string[] args)
    {
        using var process = Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        return (process.ExitCode, await output);
    }

    /// <summary>train --json: how many steps the run trained, and the first of them.</summary>
    private static (int Steps, int FirstStep) Trained(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return (doc.RootElement.GetProperty("steps").GetInt32(), doc.RootElement.GetProperty("firstStep").GetInt32());
    }

    /// <summary>The student's safetensors inside the model zip.</summary>
    private static byte[] StudentWeights(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith("/model.safetensors", StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
