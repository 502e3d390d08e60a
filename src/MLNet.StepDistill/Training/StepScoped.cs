using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.StepDistill.Training;

/// <summary>
/// TorchSharp's <see cref="TorchSharp.Modules.AdamW"/> with each parameter's temporaries freed as soon as that parameter is updated.
/// TorchSharp's step keeps every temporary it makes (the gradient handle and two parameter-sized tensors for the
/// denominator, <c>sqrt(v)</c> and <c>sqrt(v) / sqrt(1 - beta2^t)</c>) in one dispose scope until the last parameter is
/// done: twice the model's size in buffers that exist only to be freed together (0.48 GB for t5-small), faulted in afresh
/// after every trim. Here one dispose scope per parameter lets the next parameter reuse the same memory.
/// </summary>
/// <remarks>
/// The arithmetic is TorchSharp's, operation for operation and in the same order (decoupled decay, the two moment
/// updates, the bias-corrected denominator, <c>addcdiv_</c>), so the weights and moments are bit-identical to
/// TorchSharp's (a test compares them); the state and its <c>state_dict</c> format are inherited unchanged, so
/// checkpoints written by either load into the other. TorchSharp writes the optimizer's type name (<c>GetType().Name</c>)
/// into the state and checks it on loading, which is why the class is named <c>AdamW</c>, nested here.
/// </remarks>
internal static class StepScoped
{
    /// <summary>See <see cref="StepScoped"/>.</summary>
    internal sealed class AdamW : TorchSharp.Modules.AdamW
    {
        /// <summary>An AdamW over <paramref name="groups"/> with <paramref name="learningRate"/> as the default learning rate.</summary>
        public AdamW(IEnumerable<ParamGroup> groups, double learningRate)
            : base(groups, learningRate)
        {
        }

        /// <inheritdoc/>
        public override Tensor step(Func<Tensor>? closure = null)
        {
            return _step<ParamGroup>(
                group =>
                {
                    var options = (Options)group.Options;
                    var (beta1, beta2, weightDecay, eps, lr) = (options.beta1!.Value, options.beta2!.Value, options.weight_decay!.Value, options.eps!.Value, options.LearningRate!.Value);
                    var (amsgrad, maximize) = (options.amsgrad!.Value, options.maximize!.Value);
                    foreach (var param in group.Parameters)
                    {
                        using var scope = NewDisposeScope();
                        var state = (State)_state[param.Handle];
                        if (param.grad is not { } gradient)
                        {
                            continue;
                        }

                        var grad = maximize ? -gradient : gradient;
                        state.step += 1;
                        param.mul_(1 - lr * weightDecay);
                        var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                        var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                        state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                        state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                        Tensor denominator;
                        if (amsgrad)
                        {
                            var previous = state.max_exp_avg_sq;
                            state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                            previous.Dispose();
                            denominator = (state.max_exp_avg_sq.sqrt() / Math.Sqrt(biasCorrection2)).add_(eps);
                        }
                        else
                        {
                            denominator = (state.exp_avg_sq.sqrt() / Math.Sqrt(biasCorrection2)).add_(eps);
                        }

                        param.addcdiv_(state.exp_avg, denominator, value: -(lr / biasCorrection1));
                    }
                },
                closure);
        }
    }
}
