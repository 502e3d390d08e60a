using MLNet.StepDistill.Cli.Commands;
using MLNet.StepDistill.T5;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("stepdistill");
    config.Settings.StrictParsing = true;   // a misspelt option is an error, not silently ignored
    config.PropagateExceptions();
    CommandRegistry.Register(config);
});

try
{
    return await app.RunAsync(args);
}
catch (Exception ex) when (ex is CommandAppException or UserFacingException)
{
    Console.Error.WriteLine($"stepdistill: {ex.Message}");
    return 2;
}
catch (NativeTorchUnavailableException ex)
{
    Console.Error.WriteLine($"stepdistill: {ex.Message}");
    return 3;
}
