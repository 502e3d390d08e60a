using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using MLNet.StepDistill.Files;
using MLNet.StepDistill.Pipeline;
using MLNet.StepDistill.T5;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// The resumable state of a run, in one file written atomically (a temporary file renamed over the old one): the
/// weights, the optimiser's state, the step, the run's CPU random generator's state (dropout) and the validation bookkeeping.
/// The batch order needs no saving: <see cref="BatchPlan"/> derives it from the seed and the step.
/// Layout: the magic string, a SHA-256 of everything after it, then the header (JSON), the random state, the weights
/// and the optimiser state. A file that fails its checksum, or whose step lies outside the run, is refused.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string Magic = "STEPDISTILL-CHECKPOINT-2";
    private const string OlderMagic = "STEPDISTILL-CHECKPOINT-1";
    private const int HashLength = 32;

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

    /// <summary>
    /// Writes the state to <c>checkpoint.bin</c> in <paramref name="folder"/>, atomically, with the state of
    /// <paramref name="generator"/> (the run's own; null: torch's process-wide one).
    /// </summary>
    public void Write(string folder, nn.Module module, optim.Optimizer optimizer, Generator? generator = null)
    {
        Directory.CreateDirectory(folder);
        DeleteStaleTemps(folder);
        var target = PathIn(folder);
        var temp = target + $".tmp-{Environment.ProcessId}";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            var hashAt = stream.Position;
            writer.Write(new byte[HashLength]);
            writer.Write(JsonSerializer.Serialize(this));
            using var rng = generator?.get_state() ?? torch.random.get_rng_state();
            var rngBytes = rng.data<byte>().ToArray();
            writer.Write(rngBytes.Length);
            writer.Write(rngBytes);
            module.save(writer);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
            writer.Flush();
            var hash = HashFrom(stream, hashAt + HashLength);
            stream.Position = hashAt;
            stream.Write(hash);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, target, overwrite: true);
    }

    /// <summary>Deletes <c>checkpoint.bin.tmp-&lt;pid&gt;</c> and <c>best-weights.bin.tmp-&lt;pid&gt;</c> left by killed runs.</summary>
    public static void DeleteStaleTemps(string folder)
    {
        foreach (var name in new[] { Path.GetFileName(PathIn(folder)), Path.GetFileName(BestPathIn(folder)) })
        {
            StaleTempFiles.DeleteFiles(folder, name + ".tmp-*", file => file[(name.Length + 5)..]);
        }
    }

    private static byte[] HashFrom(Stream stream, long start)
    {
        stream.Position = start;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            sha.AppendData(buffer, 0, read);
        }

        return sha.GetHashAndReset();
    }

    /// <summary>
    /// Reads the checkpoint in <paramref name="folder"/> into the module, optimiser and random generator (the run's own,
    /// <paramref name="generator"/>; null: torch's process-wide one; a CPU generator's state either way, so checkpoints
    /// written before runs had their own generator load too); null when there is none. Deletes temporary files that
    /// killed runs left there first.
    /// </summary>
    /// <exception cref="FileIntegrityException">The file fails its SHA-256 (damaged after it was written).</exception>
    /// <exception cref="ModelFormatException">The file is not a checkpoint, is truncated or corrupt, holds a step outside the run or weights of another shape, or was written by a run with other settings (naming them).</exception>
    public static TrainingCheckpoint? TryRestore(string folder, string fingerprint, nn.Module module, optim.Optimizer optimizer, int totalSteps, Generator? generator = null)
    {
        DeleteStaleTemps(folder);
        var path = PathIn(folder);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return Restore(path, fingerprint, module, optimizer, totalSteps, generator);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException and not (FileNotFoundException or ModelFormatException) or FormatException
            or JsonException or ArgumentException or ExternalException or InvalidDataException or OverflowException or InvalidOperationException)
        {
            throw new ModelFormatException(path,
                $"the training checkpoint is truncated or corrupt ({ex.Message}). {WhatToDo}", ex);
        }
    }

    /// <summary>
    /// The step of the checkpoint in <paramref name="folder"/>, from its header (not checked against its hash: for
    /// reports on a checkpoint a run has just resumed from); null when there is none or it cannot be read.
    /// </summary>
    public static int? StepIn(string folder)
    {
        try
        {
            using var stream = File.OpenRead(PathIn(folder));
            using var reader = new BinaryReader(stream);
            if (reader.ReadString() != Magic)
            {
                return null;
            }

            reader.ReadBytes(HashLength);
            return JsonSerializer.Deserialize<TrainingCheckpoint>(reader.ReadString())?.Step;
        }
        catch (Exception ex) when (ex is IOException or JsonException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private const string WhatToDo = "Delete it to start over, or run without Resume (--resume) to train from scratch.";

    private static TrainingCheckpoint Restore(string path, string fingerprint, nn.Module module, optim.Optimizer optimizer, int totalSteps, Generator? generator = null)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var magic = stream.Length >= 1 && stream.ReadByte() is var length && length is > 0 and < 64
            ? System.Text.Encoding.ASCII.GetString(reader.ReadBytes(length))
            : "";
        if (magic == OlderMagic)
        {
            throw new ModelFormatException(path, $"the training checkpoint was written by an older version, without a checksum. {WhatToDo}");
        }

        if (magic != Magic)
        {
            throw new ModelFormatException(path, $"not a StepDistill training checkpoint. {WhatToDo}");
        }

        var recorded = reader.ReadBytes(HashLength);
        var bodyStart = stream.Position;
        if (recorded.Length != HashLength || !CryptographicOperations.FixedTimeEquals(recorded, HashFrom(stream, bodyStart)))
        {
            throw new FileIntegrityException(path, $"the training checkpoint fails its SHA-256 check: it was damaged after it was written. {WhatToDo}");
        }

        stream.Position = bodyStart;
        var state = JsonSerializer.Deserialize<TrainingCheckpoint>(reader.ReadString())
            ?? throw new ModelFormatException(path, "the checkpoint header is empty.");
        if (ResumeFingerprint.Upgrade(state.Fingerprint) != fingerprint)
        {
            throw new ModelFormatException(path,
                $"the checkpoint was written by a run with other settings: {ResumeFingerprint.Differences(ResumeFingerprint.Upgrade(state.Fingerprint), fingerprint)}. " +
                "Use another CheckpointFolder (--checkpoint-dir), or the same options and data to resume.");
        }

        if (state.Step < 0 || state.Step > totalSteps)
        {
            throw new ModelFormatException(path, $"the checkpoint is at step {state.Step}, outside this run of {totalSteps} steps. {WhatToDo}");
        }

        if (state.ValidationsWithoutImprovement < 0 || state.BestAccuracy is { } best && !(best >= 0 && best <= 1))
        {
            throw new ModelFormatException(path, $"the checkpoint's validation state is out of range. {WhatToDo}");
        }

        var rngLength = reader.ReadInt32();
        if (rngLength < 0 || rngLength > stream.Length - stream.Position)
        {
            throw new ModelFormatException(path, $"the checkpoint's random-generator state claims {rngLength} bytes. {WhatToDo}");
        }

        var rngBytes = reader.ReadBytes(rngLength);
        module.load(reader); // strict: every name, and each tensor's dtype and shape, must be the module's
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        using var rng = torch.tensor(rngBytes, dtype: ScalarType.Byte);
        if (generator is not null)
        {
            generator.set_state(rng);
        }
        else
        {
            torch.random.set_rng_state(rng);
        }

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
