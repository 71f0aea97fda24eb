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
        public LockOrderEdge(LockClass from, LockClass to, Location witness, CallChain? chain)
        {
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

        private static bool Before(Location a, Location b)
        {
            var byPath = string.CompareOrdinal(a.SourceTree?.FilePath, b.SourceTree?.FilePath);
            return byPath < 0 || (byPath == 0 && a.SourceSpan.Start < b.SourceSpan.Start);
        }
    }

    /// <summary>The facts that only the whole compilation decides, filled concurrently by the body walks.</summary>
    internal sealed class WholeProgramFacts
    {
        public LockOrderGraph LockOrder { get; } = new LockOrderGraph();

        /// <summary>Lock classes acquired in hard IRQ context and with IRQs enabled (DRV1012).</summary>
        public IrqLockUsage IrqUsage { get; } = new IrqLockUsage();
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
            new IrqSafeLockRule());
    }
}
