using System.Reflection;
using Google.Protobuf;
using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.T5;

namespace MLNet.StepDistill.Export;

/// <summary>Exports a <see cref="T5ForConditionalGeneration"/> as ONNX graphs that ONNX Runtime serves without libtorch.</summary>
public static class T5OnnxExport
{
    /// <summary>
    /// Writes <c>encoder.onnx</c>, <c>decoder.onnx</c> (self-attention cache in and out, cross-attention keys/values from
    /// the encoder, logits, and each target id's log-probability for scoring), <c>spiece.model</c> and <c>manifest.json</c>
    /// (format <see cref="OnnxStudentManifest.CurrentFormatVersion"/>) into <paramref name="folder"/> (float32, opset 17,
    /// dynamic batch and sequence axes). Serve the folder with the <c>MLNet.StepDistill.Onnx</c> package.
    /// </summary>
    /// <param name="model">The model; its weights are read, never changed.</param>
    /// <param name="folder">The output folder; written beside and moved into place when complete.</param>
    /// <exception cref="InvalidOperationException">The model has no tokenizer.</exception>
    public static void ExportOnnx(this T5ForConditionalGeneration model, string folder) => Export(model, folder, student: null);

    /// <param name="model">The model.</param>
    /// <param name="folder">The output folder.</param>
    /// <param name="student">The student section of the manifest; null for a plain T5.</param>
    /// <param name="formatVersion">
    /// The manifest format: the current one, or <see cref="OnnxStudentManifest.OldestFormatVersion"/> for the layout that
    /// exports before <c>target_log_probs</c> hold (the tests and the onnx benchmark load such folders).
    /// </param>
    internal static void Export(T5ForConditionalGeneration model, string folder, StudentAnswerSpec? student, int formatVersion = OnnxStudentManifest.CurrentFormatVersion)
    {
        if (formatVersion is < OnnxStudentManifest.OldestFormatVersion or > OnnxStudentManifest.CurrentFormatVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(formatVersion), formatVersion, $"Formats {OnnxStudentManifest.OldestFormatVersion} to {OnnxStudentManifest.CurrentFormatVersion} can be written.");
        }

        var tokenizer = model.Tokenizer ?? throw new InvalidOperationException("The model has no tokenizer; set Tokenizer (spiece.model) before exporting.");
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full) ?? throw new ArgumentException($"Cannot export to the root folder {full}.", nameof(folder));
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        Directory.CreateDirectory(temp);
        try
        {
            var version = ProducerVersion();
            var writer = new T5OnnxGraphWriter(model.Config, new T5OnnxWeights(model));
            Write(writer.Encoder(version), Path.Combine(temp, OnnxStudentManifest.EncoderFileName));
            Write(writer.Decoder(version, scoreTargets: formatVersion >= OnnxStudentManifest.TargetLogProbsFormatVersion), Path.Combine(temp, OnnxStudentManifest.DecoderFileName));
            tokenizer.SaveModel(Path.Combine(temp, OnnxStudentManifest.TokenizerFileName));
            var config = model.Config;
            new OnnxStudentManifest
            {
                FormatVersion = formatVersion,
                Producer = "MLNet.StepDistill " + version,
                Opset = T5OnnxGraphWriter.Opset,
                Model = new OnnxModelFacts
                {
                    VocabSize = config.VocabSize,
                    DecoderLayers = config.DecoderLayerCount,
                    NumHeads = config.NumHeads,
                    DKv = config.DKv,
                    DModel = config.DModel,
                    PadTokenId = config.PadTokenId,
                    EosTokenId = config.EosTokenId,
                    DecoderStartTokenId = config.DecoderStartTokenId,
                },
                Student = student,
            }.Save(temp);
            if (Directory.Exists(full))
            {
                Directory.Delete(full, recursive: true);
            }

            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static void Write(IMessage model, string path)
    {
        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    private static string ProducerVersion()
    {
        var assembly = typeof(T5OnnxExport).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return (informational ?? assembly.GetName().Version?.ToString() ?? "0").Split('+')[0];
    }
}
