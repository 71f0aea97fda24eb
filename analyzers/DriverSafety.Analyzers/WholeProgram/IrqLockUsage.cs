using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DriverSafety.Analyzers.Flow;
using DriverSafety.Analyzers.Flow.Domains;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>One acquisition of a lock class that shows how the class is used with respect to IRQs.</summary>
    internal sealed class IrqUsageWitness
    {
        public IrqUsageWitness(Location location, string where, CallChain? chain)
        {
            Location = location;
            Where = where;
            Chain = chain;
        }

        /// <summary>The acquisition, or the call in the body that leads to it.</summary>
        public Location Location { get; }

        /// <summary>The body it is in (a method name, "a lambda converted to 'IrqHandler'").</summary>
        public string Where { get; }
        public CallChain? Chain { get; }
    }

    /// <summary>
    /// How each lock class is used with respect to IRQs (lockdep's usage bits): acquired in hard IRQ context (a body
    /// whose contract says it runs with IRQs off, or its callees), and acquired in process context with IRQs enabled.
    /// One witness of each, the first in (file, position) order, so the result does not depend on analysis order.
    /// </summary>
    internal sealed class IrqLockUsage
    {
        private readonly ConcurrentDictionary<LockClass, IrqUsageWitness> _inIrq = new ConcurrentDictionary<LockClass, IrqUsageWitness>();
        private readonly ConcurrentDictionary<(LockClass Class, ISymbol Method), IrqUsageWitness> _irqsEnabled = new ConcurrentDictionary<(LockClass, ISymbol), IrqUsageWitness>();
        private readonly ConcurrentDictionary<ISymbol, byte> _irqRoots = new ConcurrentDictionary<ISymbol, byte>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<(ISymbol Caller, ISymbol Callee), CallWitness> _calls = new ConcurrentDictionary<(ISymbol, ISymbol), CallWitness>();

        public void InIrq(LockClass lockClass, IrqUsageWitness witness) => _inIrq.AddOrUpdate(lockClass, witness, (_, old) => First(witness, old));

        /// <summary>An acquisition with IRQs enabled in the frame of <paramref name="method"/> (a method or lambda).</summary>
        public void IrqsEnabled(LockClass lockClass, ISymbol method, IrqUsageWitness witness) =>
            _irqsEnabled.AddOrUpdate((lockClass, method), witness, (_, old) => First(witness, old));

        /// <summary>A body that runs in IRQ context (an IRQs-off body, a method converted to an IRQs-off delegate type).</summary>
        public void IrqRoot(ISymbol method) => _irqRoots.TryAdd(method, 0);

        /// <summary>A call from one body of the compilation to a method of it, and whether IRQs were enabled there.</summary>
        public void Call(ISymbol caller, ISymbol callee, Location location, bool irqsEnabled) =>
            _calls.AddOrUpdate((caller, callee), new CallWitness(location, irqsEnabled ? location : null), (_, old) => old.With(location, irqsEnabled));

        /// <summary>
        /// The classes used both ways, with both witnesses, in a deterministic order. An IRQs-enabled acquisition in a
        /// method that IRQ context reaches counts only through a caller outside IRQ context that calls it with IRQs
        /// enabled (reported at that call); a helper only ever called from an IRQ handler is IRQ context itself.
        /// </summary>
        public IEnumerable<(LockClass Class, IrqUsageWitness Enabled, IrqUsageWitness InIrq)> Inconsistent()
        {
            var reached = Reached();
            var byCallee = _calls.Where(c => c.Value.IrqsEnabled is not null)
                .GroupBy(c => c.Key.Callee, SymbolEqualityComparer.Default)
                .ToDictionary(g => g.Key!, g => g.OrderBy(c => c.Value.IrqsEnabled!.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(c => c.Value.IrqsEnabled!.SourceSpan.Start).ToList(), SymbolEqualityComparer.Default);
            var enabled = new Dictionary<LockClass, IrqUsageWitness>();
            foreach (var pair in _irqsEnabled)
            {
                if (!_inIrq.ContainsKey(pair.Key.Class))
                {
                    continue;
                }

                var witness = reached.Contains(pair.Key.Method) ? FromOutsideIrq(pair.Key.Method, pair.Value, reached, byCallee) : pair.Value;
                if (witness is not null)
                {
                    enabled[pair.Key.Class] = enabled.TryGetValue(pair.Key.Class, out var old) ? First(witness, old) : witness;
                }
            }

            return enabled
                .Select(p => (p.Key, p.Value, _inIrq[p.Key]))
                .OrderBy(t => t.Value.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
                .ThenBy(t => t.Value.Location.SourceSpan.Start)
                .ThenBy(t => t.Key.ToString(), System.StringComparer.Ordinal);
        }

        /// <summary>The bodies IRQ context reaches: the roots and everything they call, transitively.</summary>
        private HashSet<ISymbol> Reached()
        {
            var calls = _calls.Keys.GroupBy(k => k.Caller, SymbolEqualityComparer.Default).ToDictionary(g => g.Key!, g => g.Select(k => k.Callee).ToList(), SymbolEqualityComparer.Default);
            var reached = new HashSet<ISymbol>(_irqRoots.Keys, SymbolEqualityComparer.Default);
            var pending = new Queue<ISymbol>(reached);
            while (pending.Count > 0)
            {
                if (calls.TryGetValue(pending.Dequeue(), out var callees))
                {
                    foreach (var callee in callees)
                    {
                        if (reached.Add(callee))
                        {
                            pending.Enqueue(callee);
                        }
                    }
                }
            }

            return reached;
        }

        /// <summary>The nearest call with IRQs enabled, from a body outside IRQ context, that leads to <paramref name="method"/> (breadth first).</summary>
        private static IrqUsageWitness? FromOutsideIrq(ISymbol method, IrqUsageWitness inner, HashSet<ISymbol> reached,
            Dictionary<ISymbol, List<KeyValuePair<(ISymbol Caller, ISymbol Callee), CallWitness>>> byCallee)
        {
            var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { method };
            var pending = new Queue<(ISymbol Method, CallChain Chain)>();
            pending.Enqueue((method, CallChain.Of(method.Name, null)));
            while (pending.Count > 0)
            {
                var (current, chain) = pending.Dequeue();
                if (!byCallee.TryGetValue(current, out var callers))
                {
                    continue;
                }

                foreach (var call in callers)
                {
                    var caller = call.Key.Caller;
                    var through = chain.Prepend(caller.Name, call.Value.IrqsEnabled);
                    if (!reached.Contains(caller))
                    {
                        return new IrqUsageWitness(call.Value.IrqsEnabled!, $"'{caller.Name}' (through {through})", inner.Chain);
                    }

                    if (seen.Add(caller))
                    {
                        pending.Enqueue((caller, through));
                    }
                }
            }

            return null;
        }

        private static IrqUsageWitness First(IrqUsageWitness a, IrqUsageWitness b) => Before(a.Location, b.Location) ? a : b;

        private static bool Before(Location a, Location b) => LockOrderGraph.Before(a, b);

        /// <summary>A call edge's first call, and its first call with IRQs enabled.</summary>
        internal sealed class CallWitness
        {
            public CallWitness(Location first, Location? irqsEnabled)
            {
                First = first;
                IrqsEnabled = irqsEnabled;
            }

            public Location First { get; }
            public Location? IrqsEnabled { get; }

            public CallWitness With(Location location, bool irqsEnabled) => new CallWitness(
                Before(location, First) ? location : First,
                !irqsEnabled ? IrqsEnabled : IrqsEnabled is null || Before(location, IrqsEnabled) ? location : IrqsEnabled);
        }
    }

    /// <summary>
    /// Records, from every body's walk, the acquisitions that say how a lock class is used with respect to IRQs: in a
    /// hard IRQ body (and through its callees' summaries, and through a method converted to an IRQs-off delegate type),
    /// and with IRQs enabled (not under an irqsave lock, a <c>[DisablesIrqs]</c> call or an IRQs-off body, and not by an
    /// acquire that itself disables IRQs).
    /// </summary>
    internal sealed class IrqLockUsageCollector : FlowObserver
    {
        private readonly IrqLockUsage _usage;
        private readonly Contracts.ContractProvider _contracts;
        private readonly ISummaryProvider? _summaries;

        public IrqLockUsageCollector(IrqLockUsage usage, Contracts.ContractProvider contracts, ISummaryProvider? summaries)
        {
            _usage = usage;
            _contracts = contracts;
            _summaries = summaries;
        }

        public override void OnCall(CallEvent e)
        {
            var context = e.Before.Context;
            var inIrq = context.Base == ContextBase.IrqsOff;
            var irqsOff = inIrq || AtomicReason.Of(e.Before).IrqsOff;
            var where = context.BaseName ?? "'" + e.Body.Name + "'";
            var frame = e.Body.Symbol?.OriginalDefinition;
            if (frame is not null)
            {
                if (inIrq)
                {
                    _usage.IrqRoot(frame);
                }

                if (e.Site.ConvertedTo is null && !e.Site.Method.OriginalDefinition.DeclaringSyntaxReferences.IsEmpty)
                {
                    _usage.Call(frame, e.Site.Method.OriginalDefinition, e.Site.Location, !irqsOff);
                }
            }

            if (e.Effects.IsEmpty)
            {
                return;
            }
            foreach (var effect in e.Effects)
            {
                switch (effect)
                {
                    case AcquireLock { LockKind: 1 } acquire when LockClass.Of(acquire.Lock, acquire.Subclass) is { } lockClass:
                        Record(e, lockClass, inIrq, irqsOff || acquire.DisablesIrqs, where, null);
                        break;
                    case TryAcquireLock { LockKind: 1 } tryAcquire:
                        foreach (var lockPath in tryAcquire.Locks)
                        {
                            if (LockClass.Of(lockPath, 0) is { } tried)
                            {
                                Record(e, tried, inIrq, irqsOff, where, null);
                            }
                        }

                        break;
                    case SummaryEffect summary when inIrq:
                        RecordCallee(e, summary.Summary, e.Site.Method.Name, where);
                        break;
                    case AtomicConversion { IrqsOff: true } conversion when _summaries is not null:
                        // A handler registered by method group: it and its callees run in IRQ context.
                        _usage.IrqRoot(e.Site.Method.OriginalDefinition);
                        RecordCallee(e, _summaries.Get(e.Site.Method), e.Site.Method.Name, $"'{e.Site.Method.Name}' (converted to '{conversion.DelegateType.Name}')");
                        break;
                }
            }
        }

        private void RecordCallee(CallEvent e, MethodSummary summary, string callee, string where)
        {
            foreach (var acquisition in summary.Events.OfType<AcquisitionEvent>())
            {
                var path = acquisition.Lock is null || e.Site.ConvertedTo is not null ? null : e.Site.Substitute(acquisition.Lock);
                var lockClass = path is null ? acquisition.Class : LockClass.Of(path, acquisition.Class?.Subclass ?? 0);
                if (lockClass is not null && Spinning(lockClass))
                {
                    _usage.InIrq(lockClass, new IrqUsageWitness(e.Site.Location, where, acquisition.Chain.Prepend(callee, e.Site.Location)));
                }
            }
        }

        /// <summary>Only spinning locks can be taken in IRQ context; a sleeping one there is a DRV2001 already.</summary>
        private bool Spinning(LockClass lockClass)
        {
            var type = lockClass.Declaration switch
            {
                IFieldSymbol field => field.Type,
                IPropertySymbol property => property.Type,
                ITypeSymbol typeSymbol => typeSymbol,
                _ => null,
            };
            return _contracts.Resolver.LockKindOf(type) == 1;
        }

        private void Record(CallEvent e, LockClass lockClass, bool inIrq, bool irqsOff, string where, CallChain? chain)
        {
            var witness = new IrqUsageWitness(e.Site.Location, where, chain);
            if (inIrq)
            {
                _usage.InIrq(lockClass, witness);
            }
            else if (!irqsOff && e.Body.Symbol is { } frame)
            {
                _usage.IrqsEnabled(lockClass, frame.OriginalDefinition, witness);
            }
        }
    }

    /// <summary>
    /// DRV1012 (lockdep's "inconsistent lock state"): a lock class acquired in hard IRQ context is also acquired with
    /// IRQs enabled; the IRQ can arrive on the same CPU while it is held there and spin forever. Reported at compilation
    /// end at the IRQs-enabled acquisition, the IRQ-context one as additional location.
    /// </summary>
    internal sealed class IrqSafeLockRule : IWholeProgramRule
    {
        public void Report(WholeProgramFacts facts, System.Action<Diagnostic> report, CancellationToken cancellation)
        {
            foreach (var (lockClass, enabled, inIrq) in facts.IrqUsage.Inconsistent())
            {
                cancellation.ThrowIfCancellationRequested();
                var through = inIrq.Chain is { Links.Length: > 1 } chain ? " through " + chain : string.Empty;
                report(Diagnostic.Create(Descriptors.IrqSafeLockWithIrqsEnabled, enabled.Location, new[] { inIrq.Location },
                    lockClass.ToString(), enabled.Where, inIrq.Where, through));
            }
        }
    }
}
