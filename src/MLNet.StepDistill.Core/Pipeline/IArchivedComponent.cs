using Microsoft.ML;
using MLNet.StepDistill.Files;

namespace MLNet.StepDistill.Pipeline;

/// <summary>
/// A transformer whose state ML.NET cannot save (weights, a task schema): <see cref="ModelArchive"/> writes it as extra
/// entries of the model zip, and ML.NET's own entries hold only a placeholder, which loading puts the component back in
/// place of.
/// </summary>
public interface IArchivedComponent : ITransformer
{
    /// <summary>The name of the loader that reads it back (a key of the loaders given to <see cref="ModelArchive.Load"/>, e.g. <c>"input-format"</c>).</summary>
    string ArchiveKind { get; }

    /// <summary>Writes the component's state as entries (file names relative to its own folder of the zip).</summary>
    void WriteArchive(ArchiveFolder folder);
}

/// <summary>A component's folder inside a model zip, for writing or reading its entries.</summary>
public abstract class ArchiveFolder
{
    /// <summary>Writes an entry.</summary>
    public abstract void Write(string name, Action<Stream> write);

    /// <summary>Opens an entry for reading; throws <c>ModelFormatException</c> naming the zip when it is missing.</summary>
    public abstract Stream Open(string name);

    /// <summary>The entry's full name in the zip, for messages.</summary>
    public abstract string EntryName(string name);

    /// <summary>
    /// The names of the files directly under <paramref name="subfolder"/> (e.g. <c>"model/"</c>); an entry nested deeper or
    /// named <c>.</c> / <c>..</c> is a <c>ModelFormatException</c>.
    /// </summary>
    public abstract IReadOnlyList<string> List(string subfolder);

    /// <summary>The zip's path, for messages.</summary>
    public abstract string ArchivePath { get; }
}
