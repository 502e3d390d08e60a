using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MLNet.StepDistill.Training;

/// <summary>
/// Saves and loads ML.NET model zips that hold students. ML.NET writes its own entries (the student is a custom mapping
/// that stores only a contract name); the students' heads and Hugging Face folders are added as entries under
/// <c>StepDistill/student_N/</c>, which <c>mlContext.Model.Load</c> ignores. Loading reads them back and puts each student
/// in place of ML.NET's placeholder, in the order ML.NET saved them.
/// </summary>
internal static class StudentModelArchive
{
    private const string Root = "StepDistill/";

    /// <summary>
    /// Writes the zip next to <paramref name="path"/> and moves it into place only when complete, so an interrupted or
    /// failed save never leaves a half-written model over a good one.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            WriteArchive(mlContext, model, inputSchema, temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void WriteArchive(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        List<Seq2SeqStudentTransformer> students;
        using (StudentLoadScope.BeginSave())
        {
            mlContext.Model.Save(model, inputSchema, path);
            students = [.. StudentLoadScope.SavedStudents!];
        }

        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        for (var i = 0; i < students.Count; i++)
        {
            var prefix = $"{Root}student_{i}/";
            Write(zip, prefix + "head.json", stream => JsonSerializer.Serialize(stream, students[i].Head with { GenerateRationale = students[i].GeneratesRationale }));
            var folder = Directory.CreateTempSubdirectory("stepdistill-save-");
            try
            {
                students[i].SavePretrained(folder.FullName);
                foreach (var file in Directory.GetFiles(folder.FullName))
                {
                    zip.CreateEntryFromFile(file, prefix + "model/" + Path.GetFileName(file), CompressionLevel.Fastest);
                }
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
    }

    public static ITransformer Load(MLContext mlContext, string path, string device, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        var students = ReadStudents(mlContext, path, device);
        try
        {
            mlContext.ComponentCatalog.RegisterAssembly(typeof(StudentModelArchive).Assembly);
            ITransformer loaded;
            using (StudentLoadScope.BeginLoad())
            {
                loaded = mlContext.Model.Load(path, out inputSchema);
            }

            var next = 0;
            var result = Replace(loaded, students, ref next);
            if (next != students.Count)
            {
                throw new InvalidDataException($"{path}: the zip holds {students.Count} student(s) but ML.NET's model has {next} student placeholder(s).");
            }

            return result;
        }
        catch
        {
            // Nothing returned owns them: free their weights before the error goes up.
            students.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static List<Seq2SeqStudentTransformer> ReadStudents(MLContext mlContext, string path, string device)
    {
        var students = new List<Seq2SeqStudentTransformer>();
        try
        {
            ReadStudentsInto(students, mlContext, path, device);
            return students;
        }
        catch
        {
            students.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static void ReadStudentsInto(List<Seq2SeqStudentTransformer> students, MLContext mlContext, string path, string device)
    {
        using var zip = ZipFile.OpenRead(path);
        for (var i = 0; zip.GetEntry($"{Root}student_{i}/head.json") is { } headEntry; i++)
        {
            StudentHead head;
            using (var stream = headEntry.Open())
            {
                head = JsonSerializer.Deserialize<StudentHead>(stream)
                    ?? throw new InvalidDataException($"{path}: entry {headEntry.FullName} is empty.");
            }

            if (head.Version != StudentHead.FormatVersion)
            {
                throw new InvalidDataException($"{path}: entry {headEntry.FullName} has format version {head.Version}; this library reads {StudentHead.FormatVersion}.");
            }

            var folder = Directory.CreateTempSubdirectory("stepdistill-load-");
            try
            {
                var prefix = $"{Root}student_{i}/model/";
                foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal) && e.Name.Length > 0))
                {
                    entry.ExtractToFile(Path.Combine(folder.FullName, entry.Name));
                }

                var student = T5Student.Load(folder.FullName, head, device);
                students.Add(new Seq2SeqStudentTransformer(mlContext, new StudentPredictor(student, head), head.GenerateRationale));
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
    }

    private static ITransformer Replace(ITransformer transformer, List<Seq2SeqStudentTransformer> students, ref int next)
    {
        if (transformer is TransformerChain<ITransformer> chain)
        {
            var parts = chain.ToArray();
            var scopes = parts.Select(p => ScopeOf(chain, p)).ToArray();
            var replaced = new ITransformer[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                replaced[i] = Replace(parts[i], students, ref next);
            }

            return new TransformerChain<ITransformer>(replaced, scopes);
        }

        if (IsPlaceholder(transformer))
        {
            if (next >= students.Count)
            {
                throw new InvalidDataException(StudentLoadScope.LoadHint + " The zip has fewer student entries than the model has students.");
            }

            return students[next++];
        }

        return transformer;
    }

    private static bool IsPlaceholder(ITransformer transformer) =>
        transformer is CustomMappingTransformer<StudentTextInput, StudentClassifiedOutput>
            or CustomMappingTransformer<StudentChoicesInput, StudentClassifiedOutput>
            or CustomMappingTransformer<StudentTextInput, StudentGeneratedOutput>;

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

    private static void Write(ZipArchive zip, string name, Action<Stream> write)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        write(stream);
    }
}
