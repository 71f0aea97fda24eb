using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Summaries;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.WholeProgram
{
    /// <summary>One edge of the lock-order graph: <see cref="To"/> acquired (blocking) while <see cref="From"/> is held, with one witness.</summary>
    internal sealed class LockOrderEdge
    {
        public LockOrderEdge(LockClass from, LockClass to, Location witness, CallChain? chain, string? body = null)
        {
            Body = body;
            From = from;
            To = to;
            Witness = witness;
            Chain = chain;
        }

        public LockClass From { get; }
        public LockClass To { get; }

        /// <summary>The acquisition of <see cref="To"/> (or the call that leads to it).</summary>
        public Location Witness { get; }

        /// <summary>The callee chain when the acquisition happens in a callee.</summary>
        public CallChain? Chain { get; }

        /// <summary>The body whose walk showed the edge (its method name, or "lambda").</summary>
        public string? Body { get; }

        /// <summary>The edge's acquisition path in words: <c>'B' acquired while 'A' is held in 'Evict' (f.cs:40, through Evict → Helper → Mutex.Lock)</c>.</summary>
        public string Describe() =>
            $"'{To}' acquired while '{From}' is held{(Body is null ? string.Empty : " in '" + Body + "'")} ({LockOrderText.Where(Witness)}{(Chain is null ? string.Empty : ", through " + Chain)})";
    }

    /// <summary>
    /// The compilation's inferred lock-order graph, accumulated concurrently from every body's walk and read once at
    /// compilation end. Each edge keeps one witness, the first in (file path, position) order, so the result does not
    /// depend on the order in which the host analysed the bodies.
    /// </summary>
    internal sealed class LockOrderGraph
    {
        private readonly ConcurrentDictionary<(LockClass From, LockClass To), LockOrderEdge> _edges = new ConcurrentDictionary<(LockClass, LockClass), LockOrderEdge>();

        public void Add(LockOrderEdge edge) =>
            _edges.AddOrUpdate((edge.From, edge.To), edge, (_, existing) => Before(edge.Witness, existing.Witness) ? edge : existing);

        /// <summary>The edges in a deterministic order (by witness).</summary>
        public ImmutableArray<LockOrderEdge> Edges() =>
            _edges.Values.OrderBy(e => e.Witness.SourceTree?.FilePath, System.StringComparer.Ordinal).ThenBy(e => e.Witness.SourceSpan.Start)
                .ThenBy(e => e.From.ToString(), System.StringComparer.Ordinal).ThenBy(e => e.To.ToString(), System.StringComparer.Ordinal).ToImmutableArray();

        /// <summary>The (file path, position) order of witnesses.</summary>
        internal static bool Before(Location a, Location b)
        {
            var byPath = string.CompareOrdinal(a.SourceTree?.FilePath, b.SourceTree?.FilePath);
            return byPath < 0 || (byPath == 0 && a.SourceSpan.Start < b.SourceSpan.Start);
        }
    }

    /// <summary>The facts that only the whole compilation decides, filled concurrently by the body walks.</summary>
    internal sealed class WholeProgramFacts
    {
        private readonly Compilation _compilation;
        private readonly Contracts.ContractProvider _contracts;
        private readonly SummaryStore _summaries;
        private readonly object _gate = new object();
        private DeclaredLockOrder? _declared;

        public WholeProgramFacts(Compilation compilation, Contracts.ContractProvider contracts, SummaryStore summaries)
        {
            _compilation = compilation;
            _contracts = contracts;
            _summaries = summaries;
            Reclaim = new ReclaimFacts(contracts);
        }

        public LockOrderGraph LockOrder { get; } = new LockOrderGraph();

        /// <summary>What reclaim takes (SPEC §7.20): solved at compilation end with <see cref="ReclaimLocks"/>.</summary>
        public ReclaimFacts Reclaim { get; }

        /// <summary>
        /// The reclaim locks (SPEC §7.20), for the rules run at compilation end: which lock classes reclaim reaches, each
        /// with the chain that proves it. Computed once; call it only from a compilation-end rule (every body's walk must
        /// be done). DRV1007 does not use it: the lock-order graph has no reclaim node.
        /// </summary>
        public ReclaimLocks ReclaimLocks(System.Threading.CancellationToken cancellation) => Reclaim.Solve(LockOrder, _summaries.For(cancellation), cancellation);

        /// <summary>The declared lock order of the compilation (read once, on first use).</summary>
        public DeclaredLockOrder DeclaredOrder()
        {
            lock (_gate)
            {
                return _declared ??= DeclaredLockOrder.Read(_compilation, _contracts, System.Threading.CancellationToken.None);
            }
        }

        /// <summary>Lock classes acquired in hard IRQ context and with IRQs enabled (DRV1012).</summary>
        public IrqLockUsage IrqUsage { get; } = new IrqLockUsage();

        /// <summary>Allocations that may enter reclaim under a lock or in reclaim context (DRV1008, decided at compilation end).</summary>
        public ReclaimAllocations ReclaimAllocations { get; } = new ReclaimAllocations();
    }

    /// <summary>A rule reported once, at compilation end, from the whole program's facts (lock-order cycles, reclaim).</summary>
    internal interface IWholeProgramRule
    {
        void Report(WholeProgramFacts facts, System.Action<Diagnostic> report, System.Threading.CancellationToken cancellation);
    }

    /// <summary>The whole-program rules; the lock-order family registers here with one line.</summary>
    internal static class WholeProgramRules
    {
        public static ImmutableArray<IWholeProgramRule> All { get; } = ImmutableArray.Create<IWholeProgramRule>(
            new LockOrderCycles(),
            new IrqSafeLockRule(),
            new ReclaimAllocationRule());
    }
}
