using MLNet.StepDistill.Cli;
using Xunit;

namespace MLNet.StepDistill.Tests.Cli;

/// <summary>What `stepdistill --version` prints (eng/package-smoke.sh checks it on the installed tool).</summary>
public class CliVersionTests
{
    [Theory]
    [InlineData("0.1.0", "0.1.0")]
    [InlineData("0.1.0-local.20261207153012+9d4298a82504968d1f71273374764be5e69e6e9f", "0.1.0-local.20261207153012+9d4298a82504")]
    [InlineData("1.2.3+build.7", "1.2.3+build.7")]
    public void The_package_version_with_the_commit_shortened(string informational, string shown) =>
        Assert.Equal(shown, CliVersion.Describe(informational));

    [Fact]
    public void The_built_tool_reports_the_repository_version() =>
        Assert.StartsWith("0.1.0", CliVersion.Text);
}
