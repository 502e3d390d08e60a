using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The resumable state of a run, in one file written atomically (a temporary file renamed over the old one): the
/// weights, the optimiser's state, the step, the CPU random generator's state (dropout) and the validation bookkeeping.
/// The batch order needs no saving: <see cref="BatchPlan"/> derives it from the seed and the step.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string Magic = "STEPDISTILL-CHECKPOINT-1";

    /// <summary>The checkpoint file inside a checkpoint folder.</summary>
    public static string PathIn(string folder) => Path.Combine(folder, "checkpoint.bin");

    /// <summary>The best-validation weights inside a checkpoint folder.</summary>
    public static string BestPathIn(string folder) => Path.Combine(folder, "best-weights.bin");

    /// <summary>Optimiser steps done.</summary>
    public int Step { get; init; }

    /// <summary>What the run was started with; a resume with other settings is refused.</summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>The best validation accuracy so far, if any.</summary>
    public double? BestAccuracy { get; init; }

    /// <summary>Validations since the best one.</summary>
    public int ValidationsWithoutImprovement { get; init; }

    /// <summary>Writes the state to <c>checkpoint.bin</c> in <paramref name="folder"/>, atomically.</summary>
    public void Write(string folder, nn.Module module, optim.Optimizer optimizer)
    {
        Directory.CreateDirectory(folder);
        var target = PathIn(folder);
        var temp = target + $".tmp-{Environment.ProcessId}";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(this));
            using var rng = torch.random.get_rng_state();
            var rngBytes = rng.data<byte>().ToArray();
            writer.Write(rngBytes.Length);
            writer.Write(rngBytes);
            module.save(writer);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, target, overwrite: true);
    }

    /// <summary>Reads the checkpoint in <paramref name="folder"/> into the module, optimiser and random generator; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is truncated or corrupt, or was written by a run with other settings (naming them).</exception>
    public static TrainingCheckpoint? TryRestore(string folder, string fingerprint, nn.Module module, optim.Optimizer optimizer)
    {
        var path = PathIn(folder);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return Restore(path, fingerprint, module, optimizer);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException and not FileNotFoundException or FormatException or JsonException or ArgumentException or ExternalException)
        {
            throw new InvalidDataException(
                $"{path}: the training checkpoint is truncated or corrupt ({ex.Message}). Delete it to start over, or run without " +
                "Resume (--resume) to train from scratch.", ex);
        }
    }

    private static TrainingCheckpoint Restore(string path, string fingerprint, nn.Module module, optim.Optimizer optimizer)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != Magic)
        {
            throw new InvalidDataException($"{path}: not a StepDistill training checkpoint.");
        }

        var state = JsonSerializer.Deserialize<TrainingCheckpoint>(reader.ReadString())
            ?? throw new InvalidDataException($"{path}: the checkpoint header is empty.");
        if (state.Fingerprint != fingerprint)
        {
            throw new InvalidDataException(
                $"{path}: the checkpoint was written by a run with other settings: {ResumeFingerprint.Differences(state.Fingerprint, fingerprint)}. " +
                "Use another CheckpointFolder (--checkpoint-dir), or the same options and data to resume.");
        }

        var rngBytes = reader.ReadBytes(reader.ReadInt32());
        module.load(reader);
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        using var rng = torch.tensor(rngBytes, dtype: ScalarType.Byte);
        torch.random.set_rng_state(rng);
        return state;
    }

    /// <summary>Writes weights only (the best validation state), atomically.</summary>
    public static void WriteWeights(string path, nn.Module module)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".tmp-{Environment.ProcessId}";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            module.save(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
