using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Contracts;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Rules;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>A lock held at an allocation that may enter reclaim: its class, how the code names it, and where it was taken.</summary>
    internal sealed class HeldAtAllocation
    {
        public HeldAtAllocation(LockClass lockClass, string name, Location? acquiredAt)
        {
            Class = lockClass;
            Name = name;
            AcquiredAt = acquiredAt;
        }

        public LockClass Class { get; }
        public string Name { get; }
        public Location? AcquiredAt { get; }
    }

    /// <summary>
    /// An allocation (or a call leading to one) that may recurse into reclaim, made while locks are held or in reclaim
    /// context: whether it is DRV1008 is decided at compilation end, once every reclaim lock is known.
    /// </summary>
    internal sealed class ReclaimAllocation
    {
        public ReclaimAllocation(Location location, string callee, CallChain chain, string flags, ImmutableArray<HeldAtAllocation> held, string? reclaimBody)
        {
            Location = location;
            Callee = callee;
            Chain = chain;
            Flags = flags;
            Held = held;
            ReclaimBody = reclaimBody;
        }

        public Location Location { get; }
        public string Callee { get; }
        public CallChain Chain { get; }

        /// <summary>The reclaim flags it may carry (<c>Gfp.Io|Fs</c>).</summary>
        public string Flags { get; }
        public ImmutableArray<HeldAtAllocation> Held { get; }

        /// <summary>The reclaim body it is in, when it is in one.</summary>
        public string? ReclaimBody { get; }
    }

    /// <summary>The compilation's allocations that may enter reclaim under a lock or in reclaim, one per site.</summary>
    internal sealed class ReclaimAllocations
    {
        private readonly ConcurrentDictionary<(string? Path, int Start), ReclaimAllocation> _sites = new ConcurrentDictionary<(string?, int), ReclaimAllocation>();

        public void Add(ReclaimAllocation allocation) =>
            _sites.TryAdd((allocation.Location.SourceTree?.FilePath, allocation.Location.SourceSpan.Start), allocation);

        public IEnumerable<ReclaimAllocation> InOrder() =>
            _sites.OrderBy(p => p.Key.Path, System.StringComparer.Ordinal).ThenBy(p => p.Key.Start).Select(p => p.Value);
    }

    /// <summary>
    /// Records, from every body's walk, the allocations that may recurse into reclaim (they may sleep and their flags,
    /// after the masks in force, may contain a reclaim bit) — directly, or through a callee's summary — made while a
    /// lock is held or in reclaim context. Where the context is atomic the call is a DRV2001 instead (§7.22).
    /// </summary>
    internal sealed class ReclaimAllocationCollector : FlowObserver
    {
        private readonly ContractProvider _contracts;
        private readonly ReclaimFacts _reclaim;
        private readonly ReclaimAllocations _allocations;
        private readonly ISummaryProvider? _summaries;
        private BodyContext? _body;
        private string? _reclaimBody;

        public ReclaimAllocationCollector(ContractProvider contracts, ReclaimFacts reclaim, ReclaimAllocations allocations, ISummaryProvider? summaries)
        {
            _contracts = contracts;
            _reclaim = reclaim;
            _allocations = allocations;
            _summaries = summaries;
        }

        public override void OnCall(CallEvent e)
        {
            if (e.Site.ConvertedTo is not null)
            {
                return;
            }

            if (!ReferenceEquals(_body, e.Body))
            {
                _body = e.Body;
                _reclaimBody = _reclaim.Contexts.RunsInReclaim(e.Body) ? e.Body.Name : null;
            }

            if (_reclaimBody is null && !e.Before.Locks.AnyHeld)
            {
                return;
            }

            var sawSummary = false;
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case SummaryEffect summary:
                        sawSummary = true;
                        Callee(e, summary.Summary);
                        break;
                    default:
                        if (ContextRules.Direct(effect, e, _contracts, e.Body.Symbol) is { Kind: ContextEventKind.Sleeps } direct &&
                            Reclaiming.MayEnterReclaim(direct.Outcome, direct.ReclaimBits))
                        {
                            Record(e, CallChain.Of(direct.Leaf, e.Site.Location), direct.Outcome, direct.ReclaimBits, direct.FlagsType, AtomicReason.Of(e.Before), null);
                        }

                        break;
                }
            }

            if (!sawSummary && _reclaimBody is not null && _summaries is not null && !_contracts.ForMethod(e.Site.Method).IsTrusted)
            {
                // In reclaim context with no lock held the walk did not ask for the callee's summary: its allocations count here too.
                Callee(e, _summaries.Get(e.Site.Method));
            }
        }

        private void Callee(CallEvent e, MethodSummary summary)
        {
            if (ContextRules.IgnoresSummary(_contracts, e.Site))
            {
                return;
            }

            foreach (var calleeEvent in summary.Events.OfType<ContextEvent>())
            {
                if (calleeEvent.Kind != ContextEventKind.Sleeps || calleeEvent.Flags is null || calleeEvent.Chain.Links.Length >= _contracts.Context.MaxCallDepth)
                {
                    continue;
                }

                var outcome = ContextOutcome.AtCall(calleeEvent, e.Site, e.Before, e.Body.Symbol);
                if (!Reclaiming.MayEnterReclaim(outcome, calleeEvent.ReclaimBits))
                {
                    continue;
                }

                var released = calleeEvent.ReleasedBefore;
                var context = AtomicReason.AtCall(e.Before, e.Site, released);
                Record(e, calleeEvent.Chain.Prepend(e.Site.Callee.Name, e.Site.Location), outcome, calleeEvent.ReclaimBits, calleeEvent.FlagsType, context,
                    released.Select(r => e.Site.Substitute(r)).Where(p => p is not null).Select(p => p!).ToImmutableArray());
            }
        }

        private void Record(CallEvent e, CallChain chain, ContextOutcome outcome, ulong reclaimBits, FlagsType? flagsType, AtomicReason context, ImmutableArray<AccessPath>? released)
        {
            if (context.Atomic)
            {
                // Sleeping there is DRV2001, which wins over DRV1008 at one site (§7.22).
                return;
            }

            var held = e.Before.Locks.Held
                .Where(h => h.IsHeld && (released is null || !released.Value.Contains(h.Lock)))
                .Select(h => LockClass.Of(h.Lock, h.Subclass) is { } c ? new HeldAtAllocation(c, h.Lock.ToString(), h.Site?.Syntax.GetLocation()) : null)
                .Where(h => h is not null).Select(h => h!).ToImmutableArray();
            if (held.IsEmpty && _reclaimBody is null)
            {
                return;
            }

            var bits = outcome.Flags is { } f ? (f.One | f.Unknown) & reclaimBits : reclaimBits;
            var flags = flagsType is null ? "a reclaim flag" : flagsType.Type.Name + "." + flagsType.NamesOf(bits);
            _allocations.Add(new ReclaimAllocation(e.Site.Location, e.Site.Callee.Name, chain, flags, held, _reclaimBody));
        }

        public override void OnBodyDone(BodyContext body)
        {
            _body = null;
            _reclaimBody = null;
        }
    }

    /// <summary>
    /// DRV1008 (SPEC §7.20): an allocation that may recurse into reclaim while holding a lock that reclaim takes (a
    /// reclaim lock: a class some <c>[ReclaimContext]</c> body acquires, blocking, directly or through lock order), or
    /// inside reclaim context itself. One finding per allocation site (or call leading to one), at compilation end,
    /// with the held lock's acquisition and the path by which reclaim reaches it as additional locations.
    /// </summary>
    internal sealed class ReclaimAllocationRule : IWholeProgramRule
    {
        public void Report(WholeProgramFacts facts, System.Action<Diagnostic> report, CancellationToken cancellation)
        {
            ReclaimLocks? locks = null;
            foreach (var allocation in facts.ReclaimAllocations.InOrder())
            {
                cancellation.ThrowIfCancellationRequested();
                var through = allocation.Chain.Links.Length > 1 ? " through " + allocation.Chain : string.Empty;
                if (allocation.ReclaimBody is { } body)
                {
                    report(Diagnostic.Create(Descriptors.AllocationRecursesIntoReclaim, allocation.Location, allocation.Callee, through, allocation.Flags,
                        $"'{body}' runs in reclaim context: the allocation can wait on the reclaim that is running it"));
                    continue;
                }

                locks ??= facts.ReclaimLocks(cancellation);
                foreach (var held in allocation.Held)
                {
                    if (locks.WitnessFor(held.Class) is not { } witness)
                    {
                        continue;
                    }

                    var additional = new List<Location>();
                    if (held.AcquiredAt is { } acquired)
                    {
                        additional.Add(acquired);
                    }

                    additional.AddRange(witness.Locations.Where(l => l.IsInSource && !additional.Contains(l)));
                    report(Diagnostic.Create(Descriptors.AllocationRecursesIntoReclaim, allocation.Location, additional, allocation.Callee, through, allocation.Flags,
                        $"lock '{held.Name}' is held: {witness.Describe()}"));
                    break;
                }
            }
        }
    }
}
