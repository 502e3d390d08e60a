using MLNet.StepDistill.Deployment;
using MLNet.StepDistill.Onnx;
using Xunit;

namespace MLNet.StepDistill.Tests.Onnx;

/// <summary>A broken exported folder fails on load with a message that names the file at fault.</summary>
public sealed class OnnxFolderErrorTests
{
    [Fact]
    public void A_folder_without_manifest_names_the_missing_manifest()
    {
        using var folder = new TempFolder();
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxT5Model.Load(folder.Path));
        Assert.Contains("manifest.json", ex.Message);
    }

    [Fact]
    public void Broken_manifest_json_names_the_file_and_line()
    {
        using var exported = Exported();
        File.WriteAllText(Path.Combine(exported.Folder, OnnxStudentManifest.FileName), "{\n  \"format_version\": 1,\n  \"opset\": oops\n}");
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(Path.Combine(exported.Folder, "manifest.json"), ex.Message);
        Assert.Contains("line 3", ex.Message);
    }

    [Fact]
    public void Manifest_with_an_old_opset_names_the_key()
    {
        using var exported = Exported();
        var path = Path.Combine(exported.Folder, OnnxStudentManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"opset\": 17", "\"opset\": 11", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains("\"opset\"", ex.Message);
        Assert.Contains("manifest.json", ex.Message);
    }

    [Fact]
    public void A_manifest_from_a_newer_format_names_the_version_and_what_to_do()
    {
        using var exported = Exported();
        var path = Path.Combine(exported.Folder, OnnxStudentManifest.FileName);
        var current = $"\"format_version\": {OnnxStudentManifest.CurrentFormatVersion}";
        Assert.Contains(current, File.ReadAllText(path));
        File.WriteAllText(path, File.ReadAllText(path).Replace(current, $"\"format_version\": {OnnxStudentManifest.CurrentFormatVersion + 1}", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(path, ex.Message);
        Assert.Contains($"\"format_version\" is {OnnxStudentManifest.CurrentFormatVersion + 1}", ex.Message);
        Assert.Contains($"formats {OnnxStudentManifest.OldestFormatVersion} to {OnnxStudentManifest.CurrentFormatVersion}", ex.Message);
        Assert.Contains("export it again", ex.Message);
    }

    [Fact]
    public void A_format_2_manifest_over_format_1_graphs_names_the_missing_scoring_input_and_output()
    {
        using var exported = Exported(OnnxStudentManifest.OldestFormatVersion);
        var path = Path.Combine(exported.Folder, OnnxStudentManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"format_version\": 1", "\"format_version\": 2", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(Path.Combine(exported.Folder, OnnxStudentManifest.DecoderFileName), ex.Message);
        Assert.Contains("missing inputs: target_ids", ex.Message);
        Assert.Contains("missing outputs: target_log_probs", ex.Message);
    }

    [Fact]
    public void A_format_1_manifest_over_format_2_graphs_names_the_unexpected_input()
    {
        using var exported = Exported();
        var path = Path.Combine(exported.Folder, OnnxStudentManifest.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace($"\"format_version\": {OnnxStudentManifest.CurrentFormatVersion}", "\"format_version\": 1", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(Path.Combine(exported.Folder, OnnxStudentManifest.DecoderFileName), ex.Message);
        Assert.Contains("unexpected inputs: target_ids", ex.Message);
    }

    [Fact]
    public void Truncated_decoder_graph_names_the_graph_file()
    {
        using var exported = Exported();
        var decoder = Path.Combine(exported.Folder, OnnxStudentManifest.DecoderFileName);
        var bytes = File.ReadAllBytes(decoder);
        File.WriteAllBytes(decoder, bytes[..(bytes.Length / 3)]);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(decoder, ex.Message);
    }

    [Fact]
    public void Graphs_swapped_for_each_other_say_they_do_not_match_the_manifest()
    {
        using var exported = Exported();
        var encoder = Path.Combine(exported.Folder, OnnxStudentManifest.EncoderFileName);
        var decoder = Path.Combine(exported.Folder, OnnxStudentManifest.DecoderFileName);
        File.Copy(decoder, encoder, overwrite: true);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains(encoder, ex.Message);
        Assert.Contains("input_ids", ex.Message);
    }

    [Fact]
    public void Missing_tokenizer_names_spiece_model()
    {
        using var exported = Exported();
        File.Delete(Path.Combine(exported.Folder, OnnxStudentManifest.TokenizerFileName));
        var ex = Assert.Throws<FileNotFoundException>(() => OnnxT5Model.Load(exported.Folder));
        Assert.Contains("spiece.model", ex.Message);
    }

    [Fact]
    public void A_plain_t5_export_is_not_a_student()
    {
        using var exported = Exported();
        var ex = Assert.Throws<InvalidDataException>(() => OnnxStudent.Load(exported.Folder));
        Assert.Contains("student", ex.Message);
    }

    /// <summary>An export of the small fixture model, with the ONNX model itself closed so that files can be changed.</summary>
    private static ExportedFolder Exported(int formatVersion = OnnxStudentManifest.CurrentFormatVersion)
    {
        var exported = OnnxParityTests.Exported.Of("t5v1_relu", formatVersion);
        return new ExportedFolder(exported);
    }

    private sealed class ExportedFolder(OnnxParityTests.Exported exported) : IDisposable
    {
        public string Folder => Path.Combine(exported.Folder, "onnx");

        public void Dispose() => exported.Dispose();
    }
}
