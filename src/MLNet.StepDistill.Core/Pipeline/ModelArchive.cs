using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.Pipeline;

/// <summary>Reads one archived component back from its folder of the zip.</summary>
/// <param name="folder">The component's entries.</param>
/// <param name="mlContext">The context that loads the model.</param>
public delegate IArchivedComponent ArchivedComponentLoader(ArchiveFolder folder, MLContext mlContext);

/// <summary>
/// Saves and loads ML.NET model zips that hold archived components (<see cref="IArchivedComponent"/>: students, input
/// formats). ML.NET writes its own entries, where each component is a placeholder; the components' state is added under
/// <c>StepDistill/component_N/</c>, which <c>mlContext.Model.Load</c> ignores. Loading reads the components back and puts
/// each in place of its placeholder, in the order ML.NET saved them.
/// </summary>
public static class ModelArchive
{
    private const string Root = "StepDistill/";
    private const string KindEntry = "kind";

    /// <summary>
    /// Writes the zip next to <paramref name="path"/> and moves it into place only when complete, so an interrupted or
    /// failed save never leaves a half-written model over a good one.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var full = Path.GetFullPath(path);
        StaleTempFiles.DeleteBeside(full);
        var temp = StaleTempFiles.Beside(full);
        try
        {
            List<IArchivedComponent> components;
            using (ArchiveScope.BeginSave())
            {
                mlContext.Model.Save(Unwrap(model), inputSchema, temp);
                components = [.. ArchiveScope.Saved!];
            }

            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Update))
            {
                for (var i = 0; i < components.Count; i++)
                {
                    var entries = new ZipFolder(zip, $"{Root}component_{i}/", full);
                    entries.Write(KindEntry, s => s.Write(System.Text.Encoding.UTF8.GetBytes(components[i].ArchiveKind)));
                    components[i].WriteArchive(entries);
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Loads a zip written by <see cref="Save"/>: ML.NET's pipeline with the components read by <paramref name="loaders"/>
    /// (by <see cref="IArchivedComponent.ArchiveKind"/>) put back in place. The returned model owns the components.
    /// </summary>
    /// <remarks>
    /// Every entry's CRC-32 is checked (and that no entry is named twice) before anything is read; extraction folders that
    /// killed loads left behind are deleted first.
    /// </remarks>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="ModelFormatException">The zip is not a readable model zip, its components do not match its pipeline, or a kind has no loader (the message names the zip and the entry).</exception>
    /// <exception cref="FileIntegrityException">An entry fails its CRC-32.</exception>
    public static StepDistillModel Load(MLContext mlContext, string path, IReadOnlyDictionary<string, ArchivedComponentLoader> loaders, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(loaders);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        StaleTempFiles.DeleteLoadFolders();
        ZipEntryChecksums.Verify(path);
        var components = new List<IArchivedComponent>();
        try
        {
            using (var zip = ZipFile.OpenRead(path))
            {
                for (var i = 0; zip.GetEntry($"{Root}component_{i}/{KindEntry}") is { } kindEntry; i++)
                {
                    string kind;
                    using (var reader = new StreamReader(kindEntry.Open()))
                    {
                        kind = reader.ReadToEnd().Trim();
                    }

                    var loader = loaders.TryGetValue(kind, out var found) ? found
                        : throw new ModelFormatException(path, $"entry {kindEntry.FullName}: component {i} is a \"{kind}\", which this loader cannot read (it reads: {string.Join(", ", loaders.Keys)}).");
                    components.Add(loader(new ZipFolder(zip, $"{Root}component_{i}/", path), mlContext));
                }
            }

            mlContext.ComponentCatalog.RegisterAssembly(typeof(ModelArchive).Assembly);
            ITransformer loaded;
            using (ArchiveScope.BeginLoad())
            {
                try
                {
                    loaded = mlContext.Model.Load(path, out inputSchema);
                }
                catch (Exception ex) when (ex is not (OutOfMemoryException or ModelFormatException) && ex.GetType().Name != "NativeTorchUnavailableException")
                {
                    // ML.NET reads its entries with whatever its parts throw (e.g. CultureNotFoundException, FormatException).
                    throw new ModelFormatException(path, $"ML.NET could not read the model's pipeline ({ex.GetType().Name}: {ex.Message})", ex);
                }
            }

            var next = 0;
            var result = Replace(loaded, components, ref next, path);
            if (next != components.Count)
            {
                throw new ModelFormatException(path, $"the zip holds {components.Count} component(s) but ML.NET's model has {next} placeholder(s).");
            }

            return new StepDistillModel(result, components, path);
        }
        catch
        {
            // Nothing returned owns them: free their weights before the error goes up.
            foreach (var component in components)
            {
                (component as IDisposable)?.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// The kinds of the components a zip written by <see cref="Save"/> holds, in pipeline order (e.g. <c>"input-format"</c>,
    /// <c>"student"</c> or <c>"onnx-student"</c>): which runtime can load it, read without loading anything.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="ModelFormatException">The file is not a zip.</exception>
    public static IReadOnlyList<string> ComponentKinds(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file not found: {path}", path);
        }

        try
        {
            using var zip = ZipFile.OpenRead(path);
            var kinds = new List<string>();
            for (var i = 0; zip.GetEntry($"{Root}component_{i}/{KindEntry}") is { } kindEntry; i++)
            {
                using var reader = new StreamReader(kindEntry.Open());
                kinds.Add(reader.ReadToEnd().Trim());
            }

            return kinds;
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException(path, $"not a model zip ({ex.Message})", ex);
        }
    }

    /// <summary>A <see cref="StepDistillModel"/> saves as the pipeline it wraps.</summary>
    private static ITransformer Unwrap(ITransformer model) => model is StepDistillModel wrapped ? wrapped.Pipeline : model;

    private static ITransformer Replace(ITransformer transformer, List<IArchivedComponent> components, ref int next, string path)
    {
        if (transformer is TransformerChain<ITransformer> chain)
        {
            var parts = chain.ToArray();
            var scopes = parts.Select(p => ScopeOf(chain, p)).ToArray();
            var replaced = new ITransformer[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                replaced[i] = Replace(parts[i], components, ref next, path);
            }

            return new TransformerChain<ITransformer>(replaced, scopes);
        }

        if (transformer is CustomMappingTransformer<ArchivedPlaceholderRow, ArchivedPlaceholderRow>)
        {
            return next < components.Count
                ? components[next++]
                : throw new ModelFormatException(path, $"the model has more placeholders than the zip has components. {ArchiveScope.LoadHint}");
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

    private sealed class ZipFolder(ZipArchive zip, string prefix, string path) : ArchiveFolder
    {
        public override string ArchivePath => path;

        public override void Write(string name, Action<Stream> write)
        {
            using var stream = zip.CreateEntry(prefix + name, CompressionLevel.Fastest).Open();
            write(stream);
        }

        public override Stream Open(string name) =>
            (zip.GetEntry(prefix + name) ?? throw new ModelFormatException(path, $"entry {prefix + name} is missing.")).Open();

        public override string EntryName(string name) => prefix + name;

        public override IReadOnlyList<string> List(string subfolder)
        {
            var entries = zip.Entries.Where(e => e.FullName.StartsWith(prefix + subfolder, StringComparison.Ordinal) && e.Name.Length > 0).ToArray();
            foreach (var entry in entries)
            {
                if (entry.FullName.Length != prefix.Length + subfolder.Length + entry.Name.Length || entry.Name is "." or "..")
                {
                    throw new ModelFormatException(path, $"entry \"{entry.FullName}\" is not a file of the folder {prefix + subfolder}.");
                }
            }

            return entries.Select(e => e.FullName[prefix.Length..]).ToArray();
        }
    }
}
