using MLNet.StepDistill.Samples.Serving;

// dotnet run --project samples/Serving -c Release -- --model PATH --urls http://127.0.0.1:5080 [--dataset datasets/esnli]
WebApplication app;
try
{
    app = ServingApp.Build(args);
}
catch (ServingApp.UsageException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

app.Run();
return 0;
