using System.Collections.Immutable;
using DriverSafety.Analyzers.Summaries;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>
    /// Resolves a call site into its typed effects from every registered source, in order: the built-in models (the
    /// <c>lock</c> statement, <c>Monitor</c>, guard disposal), the callee's contract per family, and the callee's
    /// summary. A family adds its source here with one line.
    /// </summary>
    internal sealed class CallResolver
    {
        private static readonly ImmutableArray<IEffectSource> Sources = ImmutableArray.Create<IEffectSource>(
            new ContextEffects(),
            new BuiltInLockModels(),
            new LockContractEffects(),
            new LifetimeContractEffects(),
            new SummaryEffects());

        private readonly EffectResolution _resolution;

        // One engine walks one body on one thread: the builder is reused from call to call.
        private readonly ImmutableArray<Effect>.Builder _effects = ImmutableArray.CreateBuilder<Effect>();

        public CallResolver(EffectResolution resolution) => _resolution = resolution;

        public ImmutableArray<Effect> Resolve(CallSite site, FlowState before)
        {
            _effects.Clear();
            foreach (var source in Sources)
            {
                if (source.AddEffects(site, before, _resolution, _effects))
                {
                    break;
                }
            }

            return _effects.Count == 0 ? ImmutableArray<Effect>.Empty : _effects.ToImmutable();
        }
    }

    /// <summary>
    /// The callee's summary, for a method of this compilation without a lock contract of its own: asked for only where
    /// its events can matter (a lock is held, or the walk is itself a summary run).
    /// </summary>
    internal sealed class SummaryEffects : IEffectSource
    {
        private static bool TakesAllocationFlags(Microsoft.CodeAnalysis.IMethodSymbol method, EffectResolution resolution)
        {
            foreach (var parameter in method.Parameters)
            {
                if (resolution.Contracts.Context.Flags.IsFlagsType(parameter.Type))
                {
                    return true;
                }
            }

            return false;
        }

        public bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects)
        {
            if (resolution.Summaries is not { } summaries || site.ConvertedTo is not null)
            {
                return false;
            }

            var contract = resolution.Contracts.ForMethod(site.Method);
            if (contract.IsTrusted)
            {
                return false;
            }

            var context = before.Context;
            if (!resolution.CollectingSummary && !before.Locks.AnyHeld && context.Base == Domains.ContextBase.None && context.AtomicRaises.IsEmpty && context.IrqRaises.IsEmpty &&
                !TakesAllocationFlags(site.Method, resolution))
            {
                // Nothing the callee's events could meet here; except that a callee taking allocation flags may sleep by
                // them inside its own atomic section, which the flags passed here decide (§7.10, §7.11).
                return false;
            }

            var summary = summaries.Get(site.Method);
            if (contract.HasLockEffects && !summary.Events.IsEmpty)
            {
                // The lock contract describes the callee's locking; its body still tells whether it sleeps (§7.21).
                summary = summary.Without<AcquisitionEvent>();
            }

            if (!summary.Events.IsEmpty)
            {
                effects.Add(new SummaryEffect(summary));
            }

            return false;
        }
    }
}
