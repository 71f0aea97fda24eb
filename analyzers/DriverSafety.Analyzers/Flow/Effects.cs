using System.Collections.Immutable;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Summaries;

namespace DriverSafety.Analyzers.Flow
{
    /// <summary>What applying an effect may consult: the state before the call, and the compilation's contracts.</summary>
    internal sealed class EffectContext
    {
        public EffectContext(CallSite site, FlowState before, ContractProvider contracts)
        {
            Site = site;
            Before = before;
            Contracts = contracts;
        }

        public CallSite Site { get; }
        public FlowState Before { get; }
        public ContractProvider Contracts { get; }
    }

    /// <summary>
    /// A typed effect of a call, drawn from the callee's contract, the built-in models or the callee's summary.
    /// Requirements are checked by the rules in the state before the call; effects are applied after it, in order,
    /// each by its own family (SPEC §7.7). An effect that is only a requirement changes nothing.
    /// </summary>
    internal abstract class Effect
    {
        public virtual FlowState Apply(FlowState state, EffectContext context) => state;
    }

    /// <summary>Produces a call's effects for one family or source; registered once in <see cref="CallResolver"/>.</summary>
    internal interface IEffectSource
    {
        /// <summary>Adds the call's effects; returns true when the call is fully described and later sources must not add theirs.</summary>
        bool AddEffects(CallSite site, FlowState before, EffectResolution resolution, ImmutableArray<Effect>.Builder effects);
    }

    /// <summary>What a source may consult while resolving a call.</summary>
    internal sealed class EffectResolution
    {
        public EffectResolution(ContractProvider contracts, ISummaryProvider? summaries, bool collectingSummary)
        {
            Contracts = contracts;
            Summaries = summaries;
            CollectingSummary = collectingSummary;
        }

        public ContractProvider Contracts { get; }
        public ISummaryProvider? Summaries { get; }

        /// <summary>The walk is a summary run: every callee event is wanted, not only those that meet a held lock.</summary>
        public bool CollectingSummary { get; }
    }

    /// <summary>A callee's summary: the events its body causes, for the caller's rules to check. It never changes the caller's state (§7.21).</summary>
    internal sealed class SummaryEffect : Effect
    {
        public SummaryEffect(MethodSummary summary) => Summary = summary;

        public MethodSummary Summary { get; }
    }
}
