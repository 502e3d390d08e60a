using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace MLNet.StepDistill.Serving;

/// <summary>Adds a batching student predictor to an ASP.NET Core or generic-host app.</summary>
public static class StepDistillServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStepDistillPredictor{TInput, TOutput}"/> as a singleton serving <paramref name="modelPath"/>
    /// (a model zip written by <c>SaveModel</c>, or a folder written by <c>stepdistill export-onnx</c>). The model is
    /// loaded when the host starts (a bad path or a row class that does not fit the model fails the start), and freed
    /// when the host stops, after the requests already queued are answered.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="modelPath">The model zip or exported folder.</param>
    /// <param name="configure">Batching, limits and runtime settings (also configurable as the named options <see cref="OptionsName{TInput, TOutput}"/>).</param>
    public static IServiceCollection AddStepDistillPredictor<TInput, TOutput>(this IServiceCollection services, string modelPath, Action<StepDistillPredictorOptions>? configure = null)
        where TInput : class
        where TOutput : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var name = OptionsName<TInput, TOutput>();
        services.AddOptions<StepDistillPredictorOptions>(name).Configure(options =>
        {
            options.ModelPath = modelPath;
            configure?.Invoke(options);
        });
        services.TryAddSingleton<IStepDistillPredictor<TInput, TOutput>>(provider =>
            StepDistillPredictor<TInput, TOutput>.Load(provider.GetRequiredService<IOptionsMonitor<StepDistillPredictorOptions>>().Get(name)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PredictorStartup<TInput, TOutput>>());
        return services;
    }

    /// <summary>The name of the <see cref="StepDistillPredictorOptions"/> one registration reads (one per row-type pair).</summary>
    public static string OptionsName<TInput, TOutput>() => $"StepDistill:{typeof(TInput).FullName}->{typeof(TOutput).FullName}";

    /// <summary>Loads the model when the host starts: the host builds its hosted services before starting, and building this one resolves the predictor, which loads the model.</summary>
    private sealed class PredictorStartup<TInput, TOutput> : IHostedService
        where TInput : class
        where TOutput : class, new()
    {
        public PredictorStartup(IStepDistillPredictor<TInput, TOutput> predictor) => Predictor = predictor;

        public IStepDistillPredictor<TInput, TOutput> Predictor { get; }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
