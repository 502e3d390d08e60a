using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNet.StepDistill.Onnx;

/// <summary>
/// ML.NET model zips holding ONNX students: ML.NET writes its entries (each student is a custom mapping that stores only
/// a contract name) and the students' exported folders are added under <c>StepDistillOnnx/student_N/</c>. Loading
/// extracts each folder (the loaded transformer owns and removes it), loads the student, and puts it in place of
/// ML.NET's placeholder, in save order.
/// </summary>
internal static class OnnxStudentArchive
{
    private const string Root = "StepDistillOnnx/";
    private const string SettingsEntry = "transformer.json";

    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            List<OnnxStudentTransformer> students;
            using (OnnxStudentLoadScope.BeginSave())
            {
                mlContext.Model.Save(model, inputSchema, temp);
                students = [.. OnnxStudentLoadScope.SavedStudents!];
            }

            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Update))
            {
                for (var i = 0; i < students.Count; i++)
                {
                    var prefix = $"{Root}student_{i}/";
                    foreach (var file in Directory.GetFiles(students[i].Student.Model.Folder))
                    {
                        zip.CreateEntryFromFile(file, prefix + Path.GetFileName(file), CompressionLevel.Fastest);
                    }

                    using var stream = zip.CreateEntry(prefix + SettingsEntry).Open();
                    JsonSerializer.Serialize(stream, new Settings { GenerateRationale = students[i].GeneratesRationale });
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static ITransformer Load(MLContext mlContext, string path, OnnxRuntimeOptions? options, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        var students = new List<OnnxStudentTransformer>();
        try
        {
            ReadStudents(students, mlContext, path, options);
            mlContext.ComponentCatalog.RegisterAssembly(typeof(OnnxStudentArchive).Assembly);
            ITransformer loaded;
            using (OnnxStudentLoadScope.BeginLoad())
            {
                loaded = mlContext.Model.Load(path, out inputSchema);
            }

            var next = 0;
            var result = Replace(loaded, students, ref next, path);
            if (next != students.Count)
            {
                throw new InvalidDataException($"{path}: the zip holds {students.Count} ONNX student(s) but ML.NET's model has {next} placeholder(s).");
            }

            return result;
        }
        catch
        {
            students.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static void ReadStudents(List<OnnxStudentTransformer> students, MLContext mlContext, string path, OnnxRuntimeOptions? options)
    {
        using var zip = ZipFile.OpenRead(path);
        for (var i = 0; zip.GetEntry($"{Root}student_{i}/{SettingsEntry}") is { } settingsEntry; i++)
        {
            Settings settings;
            using (var stream = settingsEntry.Open())
            {
                settings = JsonSerializer.Deserialize<Settings>(stream) ?? throw new InvalidDataException($"{path}: entry {settingsEntry.FullName} is empty.");
            }

            var folder = Directory.CreateTempSubdirectory("stepdistill-onnx-").FullName;
            try
            {
                var prefix = $"{Root}student_{i}/";
                foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal) && e.Name.Length > 0 && e.Name != SettingsEntry))
                {
                    entry.ExtractToFile(Path.Combine(folder, entry.Name));
                }

                var student = OnnxStudent.Load(folder, options);
                students.Add(new OnnxStudentTransformer(mlContext, student, settings.GenerateRationale, ownsStudent: true, ownedFolder: folder));
            }
            catch
            {
                Directory.Delete(folder, recursive: true);
                throw;
            }
        }
    }

    private static ITransformer Replace(ITransformer transformer, List<OnnxStudentTransformer> students, ref int next, string path)
    {
        if (transformer is TransformerChain<ITransformer> chain)
        {
            var parts = chain.ToArray();
            var scopes = parts.Select(p => ScopeOf(chain, p)).ToArray();
            var replaced = new ITransformer[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                replaced[i] = Replace(parts[i], students, ref next, path);
            }

            return new TransformerChain<ITransformer>(replaced, scopes);
        }

        if (transformer is CustomMappingTransformer<OnnxStudentTextInput, OnnxStudentClassifiedOutput>
            or CustomMappingTransformer<OnnxStudentChoicesInput, OnnxStudentClassifiedOutput>
            or CustomMappingTransformer<OnnxStudentTextInput, OnnxStudentGeneratedOutput>)
        {
            if (next >= students.Count)
            {
                throw new InvalidDataException($"{path}: the zip has fewer ONNX student entries than the model has students. " + OnnxStudentLoadScope.LoadHint);
            }

            return students[next++];
        }

        return transformer;
    }

    private static TransformerScope ScopeOf(TransformerChain<ITransformer> chain, ITransformer part)
    {
        var scope = TransformerScope.None;
        foreach (var flag in new[] { TransformerScope.Training, TransformerScope.Testing, TransformerScope.Scoring })
        {
            if (chain.GetModelFor(flag).Any(t => ReferenceEquals(t, part)))
            {
                scope |= flag;
            }
        }

        return scope;
    }

    private sealed class Settings
    {
        public bool GenerateRationale { get; set; }
    }
}
