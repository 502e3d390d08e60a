using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNet.StepDistill.T5;

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
        var name = Path.GetFileName(full);
        var folder = Path.GetDirectoryName(full)!;
        StaleTempFiles.DeleteFiles(folder, $".{name}.*.tmp", file => file[(name.Length + 2)..^4]);
        var temp = Path.Combine(folder, $".{name}.{Environment.ProcessId}.tmp");
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

    /// <summary>
    /// Checks every entry's CRC-32 (and that no entry is named twice) before reading anything, then reads the students and
    /// ML.NET's pipeline. Any problem is a <see cref="ModelFormatException"/> (a failed checksum a
    /// <see cref="FileIntegrityException"/>) naming the zip and the entry.
    /// </summary>
    public static ITransformer Load(MLContext mlContext, string path, string device, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        StaleTempFiles.DeleteLoadFolders();
        ZipEntryChecksums.Verify(path);
        var students = ReadStudents(mlContext, path, device);
        try
        {
            mlContext.ComponentCatalog.RegisterAssembly(typeof(StudentModelArchive).Assembly);
            ITransformer loaded;
            using (StudentLoadScope.BeginLoad())
            {
                try
                {
                    loaded = mlContext.Model.Load(path, out inputSchema);
                }
                catch (Exception ex) when (ex is not (OutOfMemoryException or NativeTorchUnavailableException or ModelFormatException))
                {
                    // ML.NET reads its entries with whatever its parts throw (e.g. CultureNotFoundException, FormatException).
                    throw new ModelFormatException(path, $"ML.NET could not read the model's pipeline ({ex.GetType().Name}: {ex.Message})", ex);
                }
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
            var head = ReadHead(path, headEntry);
            var folder = Directory.CreateTempSubdirectory(StaleTempFiles.LoadFolderPrefix);
            var prefix = $"{Root}student_{i}/model/";
            try
            {
                foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal) && e.Name.Length > 0))
                {
                    if (entry.FullName.Length != prefix.Length + entry.Name.Length || entry.Name is "." or "..")
                    {
                        throw new ModelFormatException(path, $"entry \"{entry.FullName}\" is not a file of the student's folder.");
                    }

                    entry.ExtractToFile(Path.Combine(folder.FullName, entry.Name));
                }

                T5Student student;
                try
                {
                    student = T5Student.Load(folder.FullName, head, device);
                }
                catch (Exception ex) when (ex is ModelFormatException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
                {
                    throw InEntry(path, prefix, folder.FullName, ex);
                }

                students.Add(new Seq2SeqStudentTransformer(mlContext, new StudentPredictor(student, head), head.GenerateRationale));
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }
    }

    /// <summary>An error about a file of the extraction folder, restated as one about the zip's entry.</summary>
    private static ModelFormatException InEntry(string path, string prefix, string folder, Exception error)
    {
        var message = error is ModelFormatException model ? model.Message : error.Message;
        message = message.Replace(folder + Path.DirectorySeparatorChar, prefix, StringComparison.Ordinal).Replace(folder, prefix.TrimEnd('/'), StringComparison.Ordinal);
        return error is FileIntegrityException
            ? new FileIntegrityException(path, $"entry {message}")
            : new ModelFormatException(path, $"entry {message}", error);
    }

    private static StudentHead ReadHead(string path, ZipArchiveEntry headEntry)
    {
        StudentHead? head;
        try
        {
            using var stream = headEntry.Open();
            head = JsonSerializer.Deserialize<StudentHead>(stream, HeadJson);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(path, $"entry {headEntry.FullName}: {ex.Message.Split(" Path:", 2)[0]}{(ex is JsonException { Path: { } p } ? $" (key {p})" : "")}", ex);
        }

        string? problem = head switch
        {
            null => "is empty (null)",
            { Version: not StudentHead.FormatVersion } => $"has format version {head.Version}; this library reads {StudentHead.FormatVersion}",
            _ when !Enum.IsDefined(head.Mode) => $"\"mode\" = {(int)head.Mode} is not a training mode",
            _ when !Enum.IsDefined(head.Kind) => $"\"answer_kind\" = {(int)head.Kind} is not an answer kind",
            { Labels: null } => "\"labels\" is null",
            _ when head.Labels.Any(l => string.IsNullOrEmpty(l)) => "\"labels\" holds an empty or null label",
            _ when head.Labels.Distinct(StringComparer.Ordinal).Count() != head.Labels.Length => "\"labels\" names a label twice",
            { Kind: AnswerKind.FixedLabels, Labels.Length: 0 } => "\"labels\" is empty, but the student answers with fixed labels",
            { Kind: AnswerKind.Choices, ChoiceCount: < 1 or > 26 } => $"\"choice_count\" = {head.ChoiceCount} must be between 1 and 26",
            { InputColumnName: null or "" } => "\"input_column\" is empty",
            { MaxInputLength: < 1 or > MaxSequenceLength } => $"\"max_input_length\" = {head.MaxInputLength} must be between 1 and {MaxSequenceLength}",
            { MaxTargetLength: < 1 or > MaxSequenceLength } => $"\"max_target_length\" = {head.MaxTargetLength} must be between 1 and {MaxSequenceLength}",
            _ => null,
        };
        return problem is null ? head! : throw new ModelFormatException(path, $"entry {headEntry.FullName}: {problem}.");
    }

    private const int MaxSequenceLength = 1 << 16;

    private static readonly JsonSerializerOptions HeadJson = new() { AllowDuplicateProperties = false };

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
