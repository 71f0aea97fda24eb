using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Flow.Domains;
using DriverSafety.Analyzers.Rules;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Summaries
{
    /// <summary>What a context event is.</summary>
    internal enum ContextEventKind
    {
        /// <summary>The method may sleep (an annotated sleep, a blocking call, a sleeping lock, an allocation by its flags).</summary>
        Sleeps,

        /// <summary>The method needs IRQs enabled (<c>[RequiresIrqsEnabled]</c> somewhere in its callees).</summary>
        NeedsIrqsEnabled,
    }

    /// <summary>
    /// A sleep or a needs-IRQs-enabled event of a method's body, in its own frame (§7.10, §7.11, §7.21): the chain down to
    /// the primitive; for an allocation, its flags by known bits (after the masks in force there) and the enum's may-sleep
    /// and reclaim bits; the bits the path to it requires of the method's flags parameters; the spinning locks the
    /// method requires but had released there; and whether it was in atomic context there.
    /// </summary>
    internal sealed class ContextEvent : SummaryEvent
    {
        public ContextEvent(ContextEventKind kind, string reason, FlagBits? flags, ulong maySleepBits, ulong reclaimBits, ImmutableArray<ParameterBits> path,
            ImmutableArray<LockExpr> releasedBefore, string? atomicInMethod, CallChain chain, ImmutableArray<LockExpr> heldAt, bool reportedInCallee, FlagsType? flagsType = null)
            : base(chain, heldAt, null, reportedInCallee)
        {
            FlagsType = flagsType;
            Kind = kind;
            Reason = reason;
            Flags = flags;
            MaySleepBits = maySleepBits;
            ReclaimBits = reclaimBits;
            Path = path;
            ReleasedBefore = releasedBefore;
            AtomicInMethod = atomicInMethod;
        }

        public ContextEventKind Kind { get; }
        public string Reason { get; }

        /// <summary>An allocation's flags in the method's frame; null for a sleep that does not depend on flags.</summary>
        public FlagBits? Flags { get; }
        public ulong MaySleepBits { get; }
        public ulong ReclaimBits { get; }

        /// <summary>The allocation's flags enum (for naming its bits in messages).</summary>
        public FlagsType? FlagsType { get; }

        /// <summary>What the path to the event requires of the method's flags parameters (its own flag tests).</summary>
        public ImmutableArray<ParameterBits> Path { get; }

        /// <summary>Spinning locks the method requires and released before the event (it does not happen under them).</summary>
        public ImmutableArray<LockExpr> ReleasedBefore { get; }

        /// <summary>
        /// Where the event depends on the caller's flags and happens inside the method's own atomic section: that context.
        /// A caller whose argument makes it sleep reports it at its call.
        /// </summary>
        public string? AtomicInMethod { get; }

        public override string Identity
        {
            get
            {
                var flags = Flags is { } f ? f.One.ToString("X") + "/" + f.Unknown.ToString("X") + "/" + f.Param.ToString("X") + "@" + f.ParamOrdinal : "-";
                return "ctx:" + Kind + ":" + Reason + ":" + flags + ":" + MaySleepBits.ToString("X") + ":" + string.Join(",", Path.Select(p => p.Ordinal + "=" + p.One.ToString("X") + "/" + p.Zero.ToString("X"))) +
                    ":" + string.Join(",", ReleasedBefore.Select(LockIdentity.Of)) + ":" + AtomicInMethod + ":" + ReportedInCallee;
            }
        }
    }

    /// <summary>Whether an allocation may recurse into reclaim (SPEC §3.2, §7.20): it sleeps, and its flags may contain a reclaim bit.</summary>
    internal static class Reclaiming
    {
        public static bool MayEnterReclaim(ContextOutcome outcome, ulong reclaimBits) =>
            outcome.Outcome == Outcome.Happens && outcome.Flags is { } flags && ((flags.One | flags.Unknown) & reclaimBits) != 0;
    }

    /// <summary>How a context event turns out at one call.</summary>
    internal enum Outcome
    {
        /// <summary>The call's arguments rule it out (a flag test in the callee, flags with no may-sleep bit).</summary>
        Never,

        /// <summary>It happens.</summary>
        Happens,

        /// <summary>An allocation whose may-sleep bits cannot be known here (flags from a field): DRV2004 in atomic context.</summary>
        FlagsUnknown,

        /// <summary>It depends on the caller's own flags parameters: the caller's summary carries it on.</summary>
        DependsOnCaller,
    }

    /// <summary>A context event decided (or carried on) at a call: the flags and path in the caller's frame.</summary>
    internal readonly struct ContextOutcome
    {
        public ContextOutcome(Outcome outcome, FlagBits? flags, ImmutableArray<ParameterBits> path)
        {
            Outcome = outcome;
            Flags = flags;
            Path = path;
        }

        public Outcome Outcome { get; }
        public FlagBits? Flags { get; }
        public ImmutableArray<ParameterBits> Path { get; }

        /// <summary>
        /// Decides an allocation's flags (in the frame at hand, the masks in force cleared) and a path condition:
        /// a set may-sleep bit sleeps, an unknown one is unknown, one of the caller's parameters carries it on.
        /// </summary>
        public static ContextOutcome Decide(FlagBits? flags, ulong maySleep, ImmutableArray<ParameterBits> path)
        {
            // A path condition on the method's own flags parameters does not make the event conditional here: some caller
            // takes that path. It travels with the event, so a caller whose argument rules the path out drops it.
            if (flags is not { } bits)
            {
                return new ContextOutcome(Outcome.Happens, null, path);
            }

            if ((bits.One & maySleep) != 0)
            {
                return new ContextOutcome(Outcome.Happens, bits, path);
            }

            if ((bits.Unknown & maySleep) != 0)
            {
                return new ContextOutcome(Outcome.FlagsUnknown, bits, path);
            }

            if ((bits.Param & maySleep) != 0)
            {
                return new ContextOutcome(Outcome.DependsOnCaller, bits, path);
            }

            return new ContextOutcome(Outcome.Never, bits, path);
        }

        /// <summary>
        /// The callee's event at this call: its flags parameters replaced by the arguments' known bits (in
        /// <paramref name="before"/>, for the walked method <paramref name="walked"/>), the caller's masks cleared.
        /// </summary>
        public static ContextOutcome AtCall(ContextEvent callee, CallSite site, FlowState before, IMethodSymbol? walked)
        {
            var path = ImmutableArray.CreateBuilder<ParameterBits>();
            foreach (var term in callee.Path)
            {
                var argument = FlagBits.Of(FlagBits.ArgumentOf(site.Operation, term.Ordinal), before, walked);
                if ((argument.Zero & term.One) != 0 || (argument.One & term.Zero) != 0)
                {
                    return new ContextOutcome(Outcome.Never, null, ImmutableArray<ParameterBits>.Empty);
                }

                if (argument.ParamOrdinal >= 0 && ((argument.Param & term.One) != 0 || (argument.Param & term.Zero) != 0))
                {
                    path.Add(new ParameterBits(argument.ParamOrdinal, argument.Param & term.One, argument.Param & term.Zero));
                }
            }

            FlagBits? flags = null;
            if (callee.Flags is { } calleeFlags)
            {
                var substituted = FlagBits.Or(FlagBits.Constant(calleeFlags.One), new FlagBits(0, calleeFlags.Unknown, 0, -1));
                if (calleeFlags.ParamOrdinal >= 0)
                {
                    var argument = FlagBits.Of(FlagBits.ArgumentOf(site.Operation, calleeFlags.ParamOrdinal), before, walked);
                    substituted = FlagBits.Or(substituted, FlagBits.And(argument, FlagBits.Constant(calleeFlags.Param)));
                }

                flags = substituted.Clear(before.Context.Mask);
            }

            // What the caller's own flag tests decided on the path to this call goes with the event too.
            foreach (var known in before.Context.Parameters)
            {
                path.Add(known);
            }

            return Decide(flags, callee.MaySleepBits, Merge(path.ToImmutable()));
        }

        private static ImmutableArray<ParameterBits> Merge(ImmutableArray<ParameterBits> terms) =>
            terms.GroupBy(t => t.Ordinal).OrderBy(g => g.Key)
                .Select(g => new ParameterBits(g.Key, g.Aggregate(0UL, (a, t) => a | t.One), g.Aggregate(0UL, (a, t) => a | t.Zero))).ToImmutableArray();
    }

    /// <summary>
    /// The execution-context family's summary events: direct sleeps and needs-IRQs-enabled calls, and the callees'
    /// events decided (or carried on) at each call, up to the configured call depth.
    /// </summary>
    internal sealed class ContextSummaryRecorder : ISummaryRecorder
    {
        public void OnCall(CallEvent e, SummaryCollector collector)
        {
            var walked = collector.Method;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case SummaryEffect summary when !ContextRules.IgnoresSummary(collector.Contracts, e.Site):
                        foreach (var calleeEvent in summary.Summary.Events.OfType<ContextEvent>())
                        {
                            if (calleeEvent.Chain.Links.Length >= collector.Contracts.Context.MaxCallDepth)
                            {
                                continue;
                            }

                            var outcome = ContextOutcome.AtCall(calleeEvent, e.Site, e.Before, walked);
                            if (outcome.Outcome == Outcome.Never)
                            {
                                continue;
                            }

                            var here = AtomicReason.AtCall(e.Before, e.Site, calleeEvent.ReleasedBefore);
                            Record(collector, e, calleeEvent.Kind, calleeEvent.Reason, outcome, calleeEvent.MaySleepBits, calleeEvent.ReclaimBits, here,
                                calleeEvent.Chain.Prepend(e.Site.Method.Name, e.Site.Location), calleeEvent.ReportedInCallee, calleeEvent.AtomicInMethod, calleeEvent.FlagsType);
                        }

                        break;
                    default:
                        if (ContextRules.Direct(effect, e, collector.Contracts, walked) is { } direct)
                        {
                            Record(collector, e, direct.Kind, direct.Reason, direct.Outcome, direct.MaySleepBits, direct.ReclaimBits, AtomicReason.Of(e.Before),
                                CallChain.Of(direct.Leaf, e.Site.Location), false, null, direct.FlagsType);
                        }

                        break;
                }
            }
        }

        private static void Record(SummaryCollector collector, CallEvent e, ContextEventKind kind, string reason, ContextOutcome outcome, ulong maySleep, ulong reclaim,
            AtomicReason here, CallChain chain, bool reportedDeeper, string? atomicDeeper, FlagsType? flagsType)
        {
            var relevant = kind == ContextEventKind.NeedsIrqsEnabled ? here.IrqsOff : here.Atomic;
            bool reported;
            string? atomicInMethod;
            switch (outcome.Outcome)
            {
                case Outcome.Happens:
                    reported = reportedDeeper || atomicDeeper is not null || relevant;
                    atomicInMethod = null;
                    break;
                case Outcome.FlagsUnknown:
                    reported = reportedDeeper || relevant;
                    atomicInMethod = null;
                    break;
                default:
                    reported = false;
                    atomicInMethod = atomicDeeper ?? (relevant ? here.Description : null);
                    break;
            }

            // The spinning locks the method requires but no longer holds here: a caller holding them does not sleep under them (§7.10).
            var released = ImmutableArray.CreateBuilder<LockExpr>();
            foreach (var required in collector.Body.Requires)
            {
                if (e.Before.Find(required) is not { IsHeld: true } && collector.ToExpr(required) is { } expr)
                {
                    released.Add(expr);
                }
            }

            collector.Add(new ContextEvent(kind, reason, outcome.Flags, maySleep, reclaim, outcome.Path, released.ToImmutable(), atomicInMethod, chain,
                collector.HeldAt(e.Before), reported, flagsType));
        }
    }
}
