using MLNet.StepDistill.Cli;
using MLNet.StepDistill.Cli.Commands;
using Spectre.Console.Cli;

// --verbose (anywhere) prints the full error after the one-line message; every command accepts it.
var verbose = args.Contains("--verbose", StringComparer.Ordinal);
args = args.Where(a => a != "--verbose").ToArray();

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("stepdistill");
    config.SetApplicationVersion(CliVersion.Text);   // stepdistill --version
    config.Settings.StrictParsing = true;   // a misspelt option is an error, not silently ignored
    config.PropagateExceptions();
    CommandRegistry.Register(config);
});

try
{
    RemovedCommands.ThrowIfRemoved(args);
    RemovedOptions.ThrowIfRemoved(args);
    return await app.RunAsync(args);
}
catch (Exception ex)
{
    // One handler for every error: a one-line message and a documented exit code (CliErrors), never a stack trace
    // unless --verbose asks for it.
    var (code, line) = CliErrors.Describe(ex);
    Console.Error.WriteLine(line);
    if (verbose)
    {
        Console.Error.WriteLine(ex.ToString());
    }

    return code;
}
