using System.Reflection;

namespace MLNet.StepDistill.Cli;

/// <summary>
/// What <c>stepdistill --version</c> prints: the package version the tool was built as (e.g. <c>0.1.0</c>, or the
/// <c>0.1.0-local.20261207142233</c> eng/pack.sh packs), with the commit it was built from when the build knew it
/// (<c>+9d4298a1b2c3</c>, shortened to 12 hex digits).
/// </summary>
internal static class CliVersion
{
    public static string Text { get; } = Describe(
        typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliVersion).Assembly.GetName().Version?.ToString()
        ?? "unknown");

    /// <summary>The informational version with a commit hash in its build metadata shortened.</summary>
    internal static string Describe(string informationalVersion)
    {
        var plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return informationalVersion;
        }

        var metadata = informationalVersion[(plus + 1)..];
        return metadata.Length > 12 && metadata.All(char.IsAsciiHexDigit)
            ? $"{informationalVersion[..plus]}+{metadata[..12]}"
            : informationalVersion;
    }
}
